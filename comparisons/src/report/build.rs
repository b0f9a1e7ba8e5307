//! A row of the report from its samples: the four experiments classified, the figures
//! summarised, each checked against the article's claim.

use super::method::{experiment_text, how};
use super::model::{Article, Holds, Method, Row};
use crate::classify;
use crate::kind::Kind;
use crate::samples::Samples;
use crate::stats::Stat;

fn holds_memory(kind: Kind, m: Option<&Stat>) -> Option<bool> {
    m.map(|s| kind.article().memory_claim.holds(s.median))
}

/// Builds a row from its samples, or a skipped row from the reason (`Err`).
pub fn build_row(kind: Kind, samples: Result<Samples, String>) -> Row {
    let claim = kind.article();
    let [mem_how, virt_how, create_how, switch_how] = how(kind);
    let method = Method {
        memory_bytes: mem_how.to_string(),
        virtual_bytes: virt_how.to_string(),
        create_ns: create_how.to_string(),
        switch_ns: switch_how.to_string(),
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
                memory_bytes: None,
                virtual_bytes: None,
                create_ns: None,
                switch_ns: None,
                managed_by_os: None,
                own_address_space: None,
                preemptive: None,
                parallel: None,
                article,
                method,
                skipped: Some(reason),
            };
        }
    };
    let managed = classify::managed_by_os(s.creator_tid, &s.unit_tids);
    let address = classify::own_address_space(s.written, s.seen);
    let preempt = classify::preemptive(s.spin_ns, s.spinners, s.probe_latency_ns);
    let parallel = classify::parallel(&s.two_ns, &s.two_cpu_ns, &s.one_ns);
    let memory = Stat::from_samples(&s.memory_bytes);
    article.holds = Holds {
        memory_bytes: holds_memory(kind, memory.as_ref()),
        managed_by_os: Some(managed.value == claim.managed_by_os),
        own_address_space: Some(address.value == claim.own_address_space),
        preemptive: Some(preempt.value == claim.preemptive),
        parallel: Some(parallel.value == claim.parallel),
    };
    Row {
        kind,
        label: kind.label(),
        memory_bytes: memory,
        virtual_bytes: Stat::from_samples(&s.virtual_bytes),
        create_ns: Stat::from_samples(&s.create_ns),
        switch_ns: Stat::from_samples(&s.switch_ns),
        managed_by_os: Some(managed.value),
        own_address_space: Some(address.value),
        preemptive: Some(preempt.value),
        parallel: Some(parallel.value),
        article,
        method: Method {
            managed_by_os: experiment_text("managed", &managed),
            own_address_space: experiment_text("address", &address),
            preemptive: experiment_text("preempt", &preempt),
            parallel: experiment_text("parallel", &parallel),
            size_of_bytes: s.size_of_bytes,
            heap_bytes: Stat::from_samples(&s.heap_bytes),
            notes: s.notes,
            ..method
        },
        skipped: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skipped_row_keeps_reason_and_no_figures() {
        let r = build_row(Kind::Goroutine, Err("go not found: x".into()));
        assert_eq!(r.skipped.as_deref(), Some("go not found: x"));
        assert!(r.memory_bytes.is_none() && r.parallel.is_none());
        let v = serde_json::to_value(&r).expect("serialise");
        assert_eq!(v["skipped"], "go not found: x");
        assert!(v["memory_bytes"].is_null());
    }

    #[test]
    fn measured_row_has_no_skipped_key() {
        let s = Samples {
            memory_bytes: vec![100.0],
            virtual_bytes: vec![200.0],
            create_ns: vec![1.0],
            switch_ns: vec![2.0],
            creator_tid: 1,
            unit_tids: vec![1, 1],
            written: 5,
            seen: 5,
            spin_ns: 100.0,
            spinners: 1,
            probe_latency_ns: 100.0,
            one_ns: vec![10.0],
            two_ns: vec![20.0],
            two_cpu_ns: vec![20.0],
            ..Samples::default()
        };
        let r = build_row(Kind::Stackless, Ok(s));
        let v = serde_json::to_value(&r).expect("serialise");
        assert!(v.get("skipped").is_none());
        assert_eq!(r.article.holds.managed_by_os, Some(true));
        assert_eq!(r.parallel, Some(false));
    }
}
