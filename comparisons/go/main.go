// Goroutine row of the coroutine-lab comparison: measures goroutines on this machine and prints
// the same JSON the Rust rows produce (see comparisons/src/samples.rs and rows/mod.rs).
//
//	goroutines -part memory -count N       one memory repetition (run in a fresh process)
//	goroutines -part timing -placement same-cpu|cross-cpu|unpinned -cpus A,B -reps R
//	           -create N -create-batch B -switch N -switch-batch B -warmup W -budget-ms T
//	goroutines -part properties -reps R -spin-ms S -work-ms W -units U
//	goroutines -part ring -n N -reps R -min-handoffs H -budget-ms T -memory-budget B
//
// For -placement same-cpu the caller pins this process to one CPU before starting it, and the
// program runs with GOMAXPROCS=1; for cross-cpu each end of the round trip is a goroutine locked
// to its own OS thread, pinned to its own CPU (-cpus A,B).
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

type timingSample struct {
	RepsNs []float64 `json:"reps_ns"`
	P50Ns  float64   `json:"p50_ns"`
	P99Ns  float64   `json:"p99_ns"`
	// Entries in the percentile computation and operations per entry.
	Entries uint64 `json:"entries"`
	Batch   uint64 `json:"batch"`
	// Share of checked round trips whose ends ran on different CPUs (nil: not checked).
	Apart *float64 `json:"ends_on_different_cpus,omitempty"`
}

type managedSample struct {
	Units          uint64  `json:"units"`
	ThreadsBefore  uint64  `json:"threads_before"`
	ThreadsDuring  uint64  `json:"threads_during"`
	ChildrenBefore uint64  `json:"children_before"`
	ChildrenDuring uint64  `json:"children_during"`
	CreatorTid     int64   `json:"creator_tid"`
	UnitTids       []int64 `json:"unit_tids"`
}

type preemptSample struct {
	Spinners           uint64  `json:"spinners"`
	SpinNs             float64 `json:"spin_ns"`
	AllSpinning        bool    `json:"all_spinning"`
	ProbeRanNs         float64 `json:"probe_ran_ns"`
	FirstSpinnerDoneNs float64 `json:"first_spinner_done_ns"`
}

type samples struct {
	Scheduler              string          `json:"scheduler"`
	Workers                uint64          `json:"workers"`
	MemoryBytes            []float64       `json:"memory_bytes"`
	VirtualBytes           []float64       `json:"virtual_bytes"`
	KernelStackBytes       []float64       `json:"kernel_stack_bytes"`
	PageTablesBytes        []float64       `json:"page_tables_bytes"`
	SlabUnreclaimableBytes []float64       `json:"slab_unreclaimable_bytes"`
	Managed                []managedSample `json:"managed"`
	Written                uint64          `json:"written"`
	Seen                   uint64          `json:"seen"`
	Preempt                []preemptSample `json:"preempt"`
	OneNs                  []float64       `json:"one_ns"`
	TwoNs                  []float64       `json:"two_ns"`
	TwoCPUNs               []float64       `json:"two_cpu_ns"`
	Notes                  []string        `json:"notes"`
}

type freshTiming struct {
	Create timingSample `json:"create"`
	Switch timingSample `json:"switch"`
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

// kbFields reads "Name: N kB" lines of a /proc file into bytes.
func kbFields(path string, names ...string) map[string]float64 {
	f, err := os.Open(path)
	if err != nil {
		fail("reading %s: %v", path, err)
	}
	defer f.Close()
	want := map[string]bool{}
	for _, n := range names {
		want[n+":"] = true
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 || !want[fields[0]] {
			continue
		}
		v, err := strconv.ParseFloat(fields[1], 64)
		if err != nil {
			fail("bad %s value in %s: %q", fields[0], path, fields[1])
		}
		if len(fields) > 2 && fields[2] == "kB" {
			v *= 1024
		}
		out[strings.TrimSuffix(fields[0], ":")] = v
	}
	for _, n := range names {
		if _, ok := out[n]; !ok {
			fail("no %s line in %s", n, path)
		}
	}
	return out
}

func memory(count int, s *samples) {
	ready := make(chan struct{}, count)
	release := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(count)
	runtime.GC()
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	st0 := kbFields("/proc/self/status", "VmRSS", "VmSize")
	k0 := kbFields("/proc/meminfo", "KernelStack", "PageTables", "SUnreclaim")
	for i := 0; i < count; i++ {
		go func() {
			ready <- struct{}{}
			<-release
			wg.Done()
		}()
	}
	for i := 0; i < count; i++ {
		<-ready
	}
	st1 := kbFields("/proc/self/status", "VmRSS", "VmSize")
	k1 := kbFields("/proc/meminfo", "KernelStack", "PageTables", "SUnreclaim")
	runtime.ReadMemStats(&ms1)
	close(release)
	wg.Wait()
	n := float64(count)
	s.MemoryBytes = append(s.MemoryBytes, (st1["VmRSS"]-st0["VmRSS"])/n)
	s.VirtualBytes = append(s.VirtualBytes, (st1["VmSize"]-st0["VmSize"])/n)
	s.KernelStackBytes = append(s.KernelStackBytes, (k1["KernelStack"]-k0["KernelStack"])/n)
	s.PageTablesBytes = append(s.PageTablesBytes, (k1["PageTables"]-k0["PageTables"])/n)
	s.SlabUnreclaimableBytes = append(s.SlabUnreclaimableBytes, (k1["SUnreclaim"]-k0["SUnreclaim"])/n)
	s.Notes = append(s.Notes, fmt.Sprintf("Go runtime's own accounting: StackInuse %.0f B per goroutine (go %s, GOMAXPROCS %d)",
		float64(ms1.StackInuse-ms0.StackInuse)/n, runtime.Version(), runtime.GOMAXPROCS(0)))
}

// recorder keeps each timed entry (ns per operation) and each repetition's mean.
type recorder struct {
	entries []float64
	reps    []float64
	batch   int
}

// timeOps runs op(batch) in timed batches: a warm-up first, then reps repetitions of ops
// operations; a repetition (and the warm-up) ends early at the first batch past budget.
func timeOps(reps, ops, batch, warmup int, budget time.Duration, op func(n int)) timingSample {
	if batch < 1 {
		batch = 1
	}
	warm := time.Now()
	for left := warmup; left > 0 && time.Since(warm) < budget; left -= batch {
		op(batch)
	}
	batches := ops / batch
	if batches < 1 {
		batches = 1
	}
	r := recorder{batch: batch}
	for i := 0; i < reps; i++ {
		start := time.Now()
		prev := start
		done := 0
		for done < batches && prev.Sub(start) < budget {
			op(batch)
			now := time.Now()
			r.entries = append(r.entries, float64(now.Sub(prev).Nanoseconds())/float64(batch))
			prev = now
			done++
		}
		r.reps = append(r.reps, float64(prev.Sub(start).Nanoseconds())/float64(done*batch))
	}
	sort.Float64s(r.entries)
	at := func(q float64) float64 {
		i := int(q * float64(len(r.entries)))
		if i >= len(r.entries) {
			i = len(r.entries) - 1
		}
		return r.entries[i]
	}
	return timingSample{RepsNs: r.reps, P50Ns: at(0.5), P99Ns: at(0.99), Entries: uint64(len(r.entries)), Batch: uint64(batch)}
}

// pinThread locks the calling goroutine to its OS thread and pins that thread to cpu.
func pinThread(cpu int) {
	runtime.LockOSThread()
	var mask [16]uint64
	mask[cpu/64] |= 1 << (uint(cpu) % 64)
	_, _, e := syscall.RawSyscall(syscall.SYS_SCHED_SETAFFINITY, 0, uintptr(len(mask)*8), uintptr(unsafe.Pointer(&mask[0])))
	if e != 0 {
		fail("sched_setaffinity to CPU %d: %v", cpu, e)
	}
}

// currentCPU is the CPU the calling thread runs on (getcpu), or -1.
func currentCPU() int64 {
	if sysGetcpu < 0 {
		return -1
	}
	var cpu uint32
	_, _, e := syscall.RawSyscall(uintptr(sysGetcpu), uintptr(unsafe.Pointer(&cpu)), 0, 0)
	if e != 0 {
		return -1
	}
	return int64(cpu)
}

// cpuCheckEvery: one round trip in this many reports where its ends ran (getcpu is a system
// call here, not free next to a goroutine switch).
const cpuCheckEvery = 16

type reply struct {
	value int
	cpu   int64
}

func timing(placement string, cpus []int, reps, create, createBatch, sw, swBatch, warmup int, budget time.Duration) freshTiming {
	var out freshTiming
	switch placement {
	case "same-cpu":
		runtime.GOMAXPROCS(1)
	case "cross-cpu":
		if len(cpus) < 2 {
			fail("cross-cpu needs -cpus A,B")
		}
	case "unpinned":
	default:
		fail("-placement must be same-cpu, cross-cpu or unpinned")
	}
	if placement != "cross-cpu" {
		// each goroutine hands back x+1 and suspends (blocked receiving) until resumed, then
		// hands back what it was resumed with and returns: created, run to its first suspension,
		// run to its end (where the runtime frees it) before the next one is made
		handed, resume := make(chan int), make(chan int)
		x := 0
		out.Create = timeOps(reps, create, createBatch, create/10, budget, func(n int) {
			for i := 0; i < n; i++ {
				go func(v int) {
					handed <- v + 1
					handed <- <-resume
				}(x)
				resume <- <-handed
				x = <-handed
			}
		})
	} else {
		out.Create = timingSample{RepsNs: []float64{}}
	}
	to, back := make(chan int), make(chan reply)
	echoReady := make(chan struct{})
	go func() {
		if placement == "cross-cpu" {
			pinThread(cpus[1])
		}
		close(echoReady)
		for v := range to {
			r := reply{value: v + 1, cpu: -1}
			if v%cpuCheckEvery == 0 {
				r.cpu = currentCPU()
			}
			back <- r
		}
	}()
	result := make(chan timingSample)
	go func() {
		if placement == "cross-cpu" {
			pinThread(cpus[0])
		}
		<-echoReady
		x := 0
		var checked, apart float64
		t := timeOps(reps, sw, swBatch, warmup, budget, func(n int) {
			for i := 0; i < n; i++ {
				to <- x
				r := <-back
				if r.cpu >= 0 {
					if here := currentCPU(); here >= 0 {
						checked++
						if here != r.cpu {
							apart++
						}
					}
				}
				x = r.value
			}
		})
		if checked > 0 {
			share := apart / checked
			t.Apart = &share
		}
		close(to)
		result <- t
	}()
	out.Switch = <-result
	return out
}

func threads() uint64 {
	return uint64(kbFields("/proc/self/status", "Threads")["Threads"])
}

func managed(units int) managedSample {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	m := managedSample{Units: uint64(units), CreatorTid: int64(syscall.Gettid()), UnitTids: []int64{}}
	m.ThreadsBefore = threads()
	got := make(chan int64, units)
	release := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(units)
	for i := 0; i < units; i++ {
		go func() {
			got <- int64(syscall.Gettid())
			<-release
			wg.Done()
		}()
	}
	for i := 0; i < units; i++ {
		m.UnitTids = append(m.UnitTids, <-got)
	}
	m.ThreadsDuring = threads()
	close(release)
	wg.Wait()
	return m
}

var mark uint64

func address(written uint64) uint64 {
	atomic.StoreUint64(&mark, 0)
	done := make(chan struct{})
	go func() {
		atomic.StoreUint64(&mark, written)
		close(done)
	}()
	<-done
	return atomic.LoadUint64(&mark)
}

var base = time.Now()

func monoNs() int64 { return time.Since(base).Nanoseconds() }

// preempt: one spinner per P spins without yielding; once they all spin, a probe goroutine is
// made runnable; when did it first run, against when the first spinner stopped?
func preempt(spin time.Duration) preemptSample {
	spinners := runtime.GOMAXPROCS(0)
	starts := make([]int64, spinners)
	ends := make([]int64, spinners)
	var wg sync.WaitGroup
	wg.Add(spinners)
	for i := 0; i < spinners; i++ {
		go func(i int) {
			st := monoNs()
			atomic.StoreInt64(&starts[i], st)
			now := st
			for now-st < spin.Nanoseconds() {
				now = monoNs()
			}
			atomic.StoreInt64(&ends[i], now)
			wg.Done()
		}(i)
	}
	waited := time.Now()
	all := func() bool {
		for i := range starts {
			if atomic.LoadInt64(&starts[i]) == 0 {
				return false
			}
		}
		return true
	}
	for !all() && time.Since(waited) < spin/2 {
		runtime.Gosched()
	}
	allStarted := all()
	runnableAt := monoNs()
	ran := make(chan int64, 1)
	go func() { ran <- monoNs() }()
	probeRan := <-ran
	wg.Wait()
	lastStart, firstEnd := int64(0), ends[0]
	for i := range starts {
		if starts[i] > lastStart {
			lastStart = starts[i]
		}
		if ends[i] < firstEnd {
			firstEnd = ends[i]
		}
	}
	return preemptSample{
		Spinners:           uint64(spinners),
		SpinNs:             float64(spin.Nanoseconds()),
		AllSpinning:        allStarted && lastStart <= runnableAt && runnableAt < firstEnd,
		ProbeRanNs:         float64(probeRan - lastStart),
		FirstSpinnerDoneNs: float64(firstEnd - lastStart),
	}
}

var sink uint64

func cpuWork(iters uint64) uint64 {
	x := uint64(0x9E3779B97F4A7C15)
	for i := uint64(0); i < iters; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}

func calibrate(target time.Duration) uint64 {
	iters := uint64(100000)
	for {
		t := time.Now()
		atomic.AddUint64(&sink, cpuWork(iters))
		el := time.Since(t)
		if el >= 20*time.Millisecond {
			per := float64(el.Nanoseconds()) / float64(iters)
			n := uint64(float64(target.Nanoseconds()) / per)
			if n < 1000 {
				n = 1000
			}
			return n
		}
		iters *= 4
	}
}

// processCPUNs is the CPU time (user + system) this process has used, in ns.
func processCPUNs() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuUnits runs units goroutines of CPU-bound work at once; returns wall ns and CPU ns used.
func cpuUnits(units int, iters uint64) (float64, float64) {
	var wg sync.WaitGroup
	wg.Add(units)
	cpu := processCPUNs()
	t := time.Now()
	for i := 0; i < units; i++ {
		go func() {
			atomic.AddUint64(&sink, cpuWork(iters))
			wg.Done()
		}()
	}
	wg.Wait()
	return float64(time.Since(t).Nanoseconds()), processCPUNs() - cpu
}

func properties(reps int, spin, work time.Duration, units int, s *samples) {
	workers := runtime.GOMAXPROCS(0)
	s.Scheduler = "runtime"
	s.Workers = uint64(workers)
	if units < 4*workers {
		units = 4 * workers
	}
	for i := 0; i < reps; i++ {
		s.Managed = append(s.Managed, managed(units))
	}
	s.Written = 0x5EED0000 + 42
	s.Seen = address(s.Written)
	for i := 0; i < reps; i++ {
		s.Preempt = append(s.Preempt, preempt(spin))
	}
	iters := calibrate(work)
	for i := 0; i < reps; i++ {
		one, _ := cpuUnits(1, iters)
		two, twoCPU := cpuUnits(2, iters)
		s.OneNs = append(s.OneNs, one)
		s.TwoNs = append(s.TwoNs, two)
		s.TwoCPUNs = append(s.TwoCPUNs, twoCPU)
	}
}

// ringSample is comparisons::ring::RingSample.
type ringSample struct {
	N                         uint64    `json:"n"`
	RepsNs                    []float64 `json:"reps_ns"`
	Laps                      uint64    `json:"laps"`
	MemoryBytes               float64   `json:"memory_bytes"`
	KernelBytes               float64   `json:"kernel_bytes"`
	VisitsMin                 uint64    `json:"visits_min"`
	VisitsMax                 uint64    `json:"visits_max"`
	UnitsCounted              uint64    `json:"units_counted"`
	OrderErrors               uint64    `json:"order_errors"`
	FaultsPerHandoff          float64   `json:"faults_per_handoff"`
	ContextSwitchesPerHandoff float64   `json:"context_switches_per_handoff"`
	MapsPerUnit               float64   `json:"maps_per_unit"`
	MapsBefore                uint64    `json:"maps_before"`
	FdsPerUnit                float64   `json:"fds_per_unit"`
	TasksPerUnit              float64   `json:"tasks_per_unit"`
	Stopped                   *string   `json:"stopped,omitempty"`
	Made                      uint64    `json:"made"`
}

const ringStop = ^uint64(0)

// ringCheckEvery: units made between two checks of the memory budget.
const ringCheckEvery = 256

// machineFloor: memory always left to the rest of the machine.
const machineFloor = 2 << 30

// held counts what system limits cap: this process's mappings, open files and threads.
func held() (maps, fds, tasks float64) {
	m, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		fail("reading /proc/self/maps: %v", err)
	}
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		fail("listing /proc/self/fd: %v", err)
	}
	return float64(strings.Count(string(m), "\n")), float64(len(entries)), float64(threads())
}

// counter reads the number after "name " on a line of a /proc file such as /proc/vmstat.
func counter(path, name string) float64 {
	text, err := os.ReadFile(path)
	if err != nil {
		fail("reading %s: %v", path, err)
	}
	for _, line := range strings.Split(string(text), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == name {
			v, err := strconv.ParseFloat(f[1], 64)
			if err != nil {
				fail("bad %s value in %s: %q", name, path, f[1])
			}
			return v
		}
	}
	fail("no %s line in %s", name, path)
	return 0
}

// events reads the system's page faults and context switches so far.
func events() (faults, switches float64) {
	return counter("/proc/vmstat", "pgfault"), counter("/proc/stat", "ctxt")
}

func kernelTotal() float64 {
	k := kbFields("/proc/meminfo", "KernelStack", "PageTables", "SUnreclaim")
	return k["KernelStack"] + k["PageTables"] + k["SUnreclaim"]
}

func memAvailable() float64 {
	return kbFields("/proc/meminfo", "MemAvailable")["MemAvailable"]
}

// ring: n goroutines, each waiting on its own channel for the token and sending the next one to
// the next goroutine's; the main goroutine starts and ends every lap (comparisons::ring).
func ring(n uint64, reps int, minHandoffs uint64, budget time.Duration, memBudget float64) ringSample {
	runtime.GOMAXPROCS(1)
	out := ringSample{N: n, RepsNs: []float64{}}
	ch := make([]chan uint64, n+1)
	for i := range ch {
		ch[i] = make(chan uint64, 1)
	}
	counts := make(chan [2]uint64)
	runtime.GC()
	rss0 := kbFields("/proc/self/status", "VmRSS")["VmRSS"]
	k0 := kernelTotal()
	maps0, fds0, tasks0 := held()
	avail0 := memAvailable()
	out.MapsBefore = uint64(maps0)
	stop := func(made uint64, why string) ringSample {
		ch[0] <- ringStop
		for i := uint64(0); i < made; i++ {
			<-counts
		}
		return ringSample{N: n, RepsNs: []float64{}, MapsBefore: uint64(maps0), Stopped: &why, Made: made}
	}
	for i := uint64(0); i < n; i++ {
		go func(place uint64) {
			var visits, errs uint64
			for {
				t := <-ch[place]
				if t == ringStop {
					ch[place+1] <- ringStop
					counts <- [2]uint64{visits, errs}
					return
				}
				visits++
				if t%n != place {
					errs++
				}
				ch[place+1] <- t + 1
			}
		}(i)
		// runs the new goroutine to its first suspension (waiting for the token), so its stack
		// is in use, and counted by the budget check, before the next one is made
		runtime.Gosched()
		if made := i + 1; made%ringCheckEvery == 0 {
			// this process's growth is exact; the machine's available memory is updated lazily
			now := memAvailable()
			used := math.Max(avail0-now, kbFields("/proc/self/status", "VmRSS")["VmRSS"]-rss0)
			if used > memBudget {
				return stop(made, fmt.Sprintf("memory budget: after %d units they took %.0f MiB, over the budget of %.0f MiB (--max-memory)", made, used/(1<<20), memBudget/(1<<20)))
			}
			if now < machineFloor {
				return stop(made, fmt.Sprintf("machine memory: after %d units only %.0f MiB was available", made, now/(1<<20)))
			}
		}
	}
	lap := func(t uint64) uint64 {
		ch[0] <- t
		return <-ch[n]
	}
	token := lap(0)
	out.Laps = 1
	rss1 := kbFields("/proc/self/status", "VmRSS")["VmRSS"]
	k1 := kernelTotal()
	maps1, fds1, tasks1 := held()
	fn := float64(n)
	out.MemoryBytes = (rss1 - rss0) / fn
	out.KernelBytes = (k1 - k0) / fn
	out.MapsPerUnit = (maps1 - maps0) / fn
	out.FdsPerUnit = (fds1 - fds0) / fn
	out.TasksPerUnit = (tasks1 - tasks0) / fn
	f0, s0 := events()
	var timed uint64
	for r := 0; r < reps; r++ {
		start := time.Now()
		laps := uint64(0)
		for laps == 0 || (laps*n < minHandoffs && time.Since(start) < budget) {
			token = lap(token)
			laps++
		}
		out.RepsNs = append(out.RepsNs, float64(time.Since(start).Nanoseconds())/float64(laps*n))
		out.Laps += laps
		timed += laps * n
	}
	f1, s1 := events()
	out.FaultsPerHandoff = (f1 - f0) / float64(timed)
	out.ContextSwitchesPerHandoff = (s1 - s0) / float64(timed)
	lap(ringStop)
	out.VisitsMin = ^uint64(0)
	for i := uint64(0); i < n; i++ {
		c := <-counts
		if c[0] < out.VisitsMin {
			out.VisitsMin = c[0]
		}
		if c[0] > out.VisitsMax {
			out.VisitsMax = c[0]
		}
		out.OrderErrors += c[1]
		out.UnitsCounted++
	}
	out.Made = n
	return out
}

func printJSON(v interface{}) {
	out, err := json.Marshal(v)
	if err != nil {
		fail("encoding JSON: %v", err)
	}
	fmt.Println(string(out))
}

func usage(msg string) {
	fmt.Fprintln(os.Stderr, msg)
	os.Exit(2)
}

func main() {
	part := flag.String("part", "properties", "memory, timing, ring or properties")
	count := flag.Int("count", 10000, "live goroutines for the memory part")
	placement := flag.String("placement", "unpinned", "timing: same-cpu, cross-cpu or unpinned")
	cpuList := flag.String("cpus", "-", "timing: the CPUs of the two ends, A,B (- for none)")
	create := flag.Int("create", 100000, "goroutines per creation repetition")
	createBatch := flag.Int("create-batch", 16, "creations per timed entry")
	sw := flag.Int("switch", 100000, "round trips per switch repetition")
	swBatch := flag.Int("switch-batch", 8, "round trips per timed entry")
	warmup := flag.Int("warmup", 10000, "round trips run before timing")
	budgetMs := flag.Int("budget-ms", 200, "longest time one timed repetition may take")
	reps := flag.Int("reps", 3, "repetitions")
	spinMs := flag.Int("spin-ms", 100, "spin time in the pre-emption experiment")
	workMs := flag.Int("work-ms", 40, "duration of one CPU-bound unit")
	units := flag.Int("units", 32, "least live units in the managed-by-OS experiment")
	ringN := flag.Uint64("n", 10, "ring: live units")
	minHandoffs := flag.Uint64("min-handoffs", 10000, "ring: hand-offs per repetition, at least")
	memBudget := flag.Float64("memory-budget", 4<<30, "ring: the most memory the units may take, bytes")
	flag.Parse()
	if *ringN < 1 || *memBudget <= 0 {
		usage("-n and -memory-budget must be positive")
	}
	if *count < 1 || *create < 1 || *sw < 1 || *reps < 1 || *units < 1 || *createBatch < 1 || *swBatch < 1 || *warmup < 0 || *budgetMs < 1 {
		usage("counts must be positive")
	}
	var cpus []int
	if *cpuList != "-" {
		for _, c := range strings.Split(*cpuList, ",") {
			n, err := strconv.Atoi(c)
			if err != nil || n < 0 || n >= 1024 {
				usage("-cpus must be CPU numbers, A,B")
			}
			cpus = append(cpus, n)
		}
	}
	s := samples{Scheduler: "runtime", MemoryBytes: []float64{}, VirtualBytes: []float64{},
		KernelStackBytes: []float64{}, PageTablesBytes: []float64{}, SlabUnreclaimableBytes: []float64{},
		Managed: []managedSample{}, Preempt: []preemptSample{},
		OneNs: []float64{}, TwoNs: []float64{}, TwoCPUNs: []float64{}, Notes: []string{}}
	switch *part {
	case "memory":
		memory(*count, &s)
		printJSON(s)
	case "timing":
		printJSON(timing(*placement, cpus, *reps, *create, *createBatch, *sw, *swBatch, *warmup, time.Duration(*budgetMs)*time.Millisecond))
	case "ring":
		printJSON(ring(*ringN, *reps, *minHandoffs, time.Duration(*budgetMs)*time.Millisecond, *memBudget))
	case "properties":
		properties(*reps, time.Duration(*spinMs)*time.Millisecond, time.Duration(*workMs)*time.Millisecond, *units, &s)
		printJSON(s)
	default:
		usage("-part must be memory, timing, ring or properties")
	}
}
