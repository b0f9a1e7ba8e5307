//! A row of the report from its samples: the four experiments classified, the figures
//! summarised, each checked against the article's claim.

use super::method::{experiment_text, how};
use super::model::{Article, Holds, KernelParts, Method, Properties, Row, Timing, Uncertain};
use crate::classify::{self, Verdict};
use crate::kind::Kind;
use crate::samples::Samples;
use crate::stats::Stat;

fn holds(claim: bool, v: &Verdict) -> Option<bool> {
    v.value.map(|x| x == claim)
}

/// Kernel bytes per unit: the three `/proc/meminfo` parts summed per repetition.
fn kernel_total(s: &Samples) -> Vec<f64> {
    s.kernel_stack_bytes
        .iter()
        .zip(&s.page_tables_bytes)
        .zip(&s.slab_unreclaimable_bytes)
        .map(|((a, b), c)| a + b + c)
        .collect()
}

/// Builds a row from its samples, or a skipped row from the reason (`Err`).
pub fn build_row(kind: Kind, samples: Result<Samples, String>) -> Row {
    let claim = kind.article();
    let h = how(kind);
    let method = Method {
        memory_bytes: h.memory.to_string(),
        virtual_bytes: h.virtual_.to_string(),
        object_bytes: h.object.to_string(),
        kernel_bytes: KERNEL_HOW.to_string(),
        create_ns: h.create.to_string(),
        switch_ns: h.switch_text(kind),
        ring: h.ring.to_string(),
        ..Method::default()
    };
    let mut article = Article {
        column: claim.column.to_string(),
        memory: claim.memory.to_string(),
        managed_by_os: claim.managed_by_os,
        own_address_space: claim.own_address_space,
        preemptive: claim.preemptive,
        parallel: claim.parallel,
        holds: Holds::default(),
    };
    let s = match samples {
        Ok(s) => s,
        Err(reason) => {
            return Row {
                kind,
                label: kind.label(),
                scheduler: None,
                workers: None,
                memory_bytes: None,
                kernel_bytes: None,
                kernel_parts: None,
                object_bytes: None,
                virtual_bytes: None,
                create_ns: None,
                create_unpinned_ns: None,
                create_pooled_ns: None,
                drop_suspended_ns: None,
                switch_ns: None,
                switch_cross_cpu_ns: None,
                switch_unpinned_ns: None,
                managed_by_os: None,
                own_address_space: None,
                preemptive: None,
                parallel: None,
                properties: None,
                uncertain: Vec::new(),
                noise: Default::default(),
                article,
                method,
                scaling: None,
                skipped: Some(reason),
            };
        }
    };
    let properties = Properties {
        managed_by_os: classify::managed_by_os(&s.managed, s.workers),
        own_address_space: classify::own_address_space(s.written, s.seen),
        preemptive: classify::preemptive(&s.preempt, s.scheduler),
        parallel: classify::parallel(&s.two_ns, &s.two_cpu_ns, &s.one_ns, s.scheduler),
    };
    let memory = Stat::from_samples(&s.memory_bytes);
    let kernel = Stat::from_samples(&kernel_total(&s));
    let kernel_parts = match (
        Stat::from_samples(&s.kernel_stack_bytes),
        Stat::from_samples(&s.page_tables_bytes),
        Stat::from_samples(&s.slab_unreclaimable_bytes),
    ) {
        (Some(a), Some(b), Some(c)) => Some(KernelParts {
            kernel_stack_bytes: a,
            page_tables_bytes: b,
            slab_unreclaimable_bytes: c,
        }),
        _ => None,
    };
    let uncertain = properties
        .named()
        .into_iter()
        .filter(|(_, v)| v.value.is_none())
        .map(|(name, v)| Uncertain {
            property: name.to_string(),
            evidence: v.evidence.clone(),
        })
        .collect();
    let timing = |t: &Option<crate::timing::TimingSample>| t.as_ref().and_then(Timing::from_sample);
    let mut row = Row {
        kind,
        label: kind.label(),
        scheduler: Some(s.scheduler),
        workers: Some(s.workers),
        memory_bytes: memory,
        kernel_bytes: kernel,
        kernel_parts,
        object_bytes: Stat::from_samples(&s.object_bytes),
        virtual_bytes: Stat::from_samples(&s.virtual_bytes),
        create_ns: timing(&s.create_ns),
        create_unpinned_ns: timing(&s.create_unpinned_ns),
        create_pooled_ns: timing(&s.create_pooled_ns),
        drop_suspended_ns: timing(&s.drop_suspended_ns),
        switch_ns: timing(&s.switch_ns),
        switch_cross_cpu_ns: timing(&s.switch_cross_cpu_ns),
        switch_unpinned_ns: timing(&s.switch_unpinned_ns),
        managed_by_os: properties.managed_by_os.value,
        own_address_space: properties.own_address_space.value,
        preemptive: properties.preemptive.value,
        parallel: properties.parallel.value,
        properties: None,
        uncertain,
        noise: s.noise,
        article: article.clone(),
        method: Method {
            managed_by_os: experiment_text("managed", &properties.managed_by_os),
            own_address_space: experiment_text("address", &properties.own_address_space),
            preemptive: experiment_text("preempt", &properties.preemptive),
            parallel: experiment_text("parallel", &properties.parallel),
            size_of_bytes: s.size_of_bytes,
            heap_bytes: Stat::from_samples(&s.heap_bytes),
            notes: s.notes,
            ..method
        },
        scaling: None,
        skipped: None,
    };
    article.holds = Holds {
        memory_bytes: claim
            .memory_claim
            .and_then(|c| row.total_memory().map(|b| c.holds(b))),
        managed_by_os: holds(claim.managed_by_os, &properties.managed_by_os),
        own_address_space: holds(claim.own_address_space, &properties.own_address_space),
        preemptive: holds(claim.preemptive, &properties.preemptive),
        parallel: holds(claim.parallel, &properties.parallel),
    };
    row.article = article;
    row.properties = Some(properties);
    row
}

/// How the kernel layer is measured, the same for every row.
pub const KERNEL_HOW: &str = "system-wide growth of KernelStack + PageTables + SUnreclaim in /proc/meminfo between just before the N units were made and while all of them were alive, / N (in the same fresh process as the user-space figure). System-wide: anything else the machine did meanwhile is in it too (see the noise of the memory experiment), and slab growth is counted in whole slab pages";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::samples::{ManagedSample, PreemptSample, Scheduler};
    use crate::timing::TimingSample;

    #[test]
    fn skipped_row_keeps_reason_and_no_figures() {
        let r = build_row(Kind::Goroutine, Err("go not found: x".into()));
        assert_eq!(r.skipped.as_deref(), Some("go not found: x"));
        assert!(r.memory_bytes.is_none() && r.parallel.is_none());
        let v = serde_json::to_value(&r).expect("serialise");
        assert_eq!(v["skipped"], "go not found: x");
        assert!(v["memory_bytes"].is_null());
    }

    fn measured(one_at_a_time: bool) -> Samples {
        let timing = TimingSample {
            reps_ns: vec![2.0, 3.0],
            p50_ns: 2.0,
            p99_ns: 4.0,
            entries: 10,
            batch: 100,
            ends_on_different_cpus: None,
        };
        Samples {
            scheduler: Scheduler::CallerThread,
            workers: 1,
            memory_bytes: vec![100.0],
            virtual_bytes: vec![200.0],
            kernel_stack_bytes: vec![1.0],
            page_tables_bytes: vec![2.0],
            slab_unreclaimable_bytes: vec![3.0],
            create_ns: Some(timing.clone()),
            switch_ns: Some(timing),
            managed: vec![
                ManagedSample {
                    units: 8,
                    threads_before: 1,
                    threads_during: 1,
                    ..ManagedSample::default()
                };
                3
            ],
            written: 5,
            seen: 5,
            preempt: vec![
                PreemptSample {
                    spinners: 1,
                    spin_ns: 100.0,
                    all_spinning: true,
                    probe_ran_ns: 101.0,
                    first_spinner_done_ns: 100.0,
                };
                3
            ],
            one_ns: vec![10.0; 3],
            two_ns: vec![20.0; 3],
            two_cpu_ns: vec![20.0, if one_at_a_time { 20.0 } else { 30.0 }, 20.0],
            ..Samples::default()
        }
    }

    #[test]
    fn measured_row_has_every_layer_and_no_skipped_key() {
        let r = build_row(Kind::Stackless, Ok(measured(true)));
        let v = serde_json::to_value(&r).expect("serialise");
        assert!(v.get("skipped").is_none());
        assert_eq!(r.article.holds.managed_by_os, Some(true));
        assert_eq!(r.parallel, Some(false));
        assert_eq!(r.kernel_bytes.as_ref().map(|k| k.median), Some(6.0));
        assert_eq!(r.total_memory(), Some(106.0));
        assert!(r.uncertain.is_empty());
        assert_eq!(v["switch_ns"]["p99"], 4.0);
        assert_eq!(v["switch_ns"]["median"], 2.5);
    }

    #[test]
    fn disagreeing_repetitions_are_uncertain_and_hold_nothing() {
        let r = build_row(Kind::Stackless, Ok(measured(false)));
        assert_eq!(r.parallel, None);
        assert_eq!(r.article.holds.parallel, None);
        assert_eq!(r.uncertain.len(), 1);
        assert_eq!(r.uncertain[0].property, "parallel");
        assert!(
            r.uncertain[0].evidence.contains("1.50"),
            "{:?}",
            r.uncertain
        );
    }
}
