// Goroutine row of the coroutine-lab comparison: measures goroutines on this machine and prints
// the same JSON samples the Rust rows produce (see comparisons/src/samples.rs).
//
//	goroutines -part memory -count N           one memory repetition (run in a fresh process)
//	goroutines -part rest -create N -switch N -reps R -spin-ms S -work-ms W -tid-units U
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

type samples struct {
	MemoryBytes    []float64 `json:"memory_bytes"`
	VirtualBytes   []float64 `json:"virtual_bytes"`
	CreateNs       []float64 `json:"create_ns"`
	SwitchNs       []float64 `json:"switch_ns"`
	CreatorTid     int64     `json:"creator_tid"`
	UnitTids       []int64   `json:"unit_tids"`
	Written        uint64    `json:"written"`
	Seen           uint64    `json:"seen"`
	SpinNs         float64   `json:"spin_ns"`
	Spinners       uint64    `json:"spinners"`
	ProbeLatencyNs float64   `json:"probe_latency_ns"`
	OneNs          []float64 `json:"one_ns"`
	TwoNs          []float64 `json:"two_ns"`
	TwoCPUNs       []float64 `json:"two_cpu_ns"`
	Notes          []string  `json:"notes"`
}

// status returns VmRSS and VmSize of this process in bytes, from /proc/self/status.
func status() (rss, vm float64) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		fmt.Fprintln(os.Stderr, "reading /proc/self/status:", err)
		os.Exit(1)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(fields[1], 64)
		switch fields[0] {
		case "VmRSS:":
			rss = kb * 1024
		case "VmSize:":
			vm = kb * 1024
		}
	}
	return
}

func memory(count int, s *samples) {
	ready := make(chan struct{}, count)
	release := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(count)
	runtime.GC()
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	rss0, vm0 := status()
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
	rss1, vm1 := status()
	runtime.ReadMemStats(&ms1)
	close(release)
	wg.Wait()
	n := float64(count)
	s.MemoryBytes = append(s.MemoryBytes, (rss1-rss0)/n)
	s.VirtualBytes = append(s.VirtualBytes, (vm1-vm0)/n)
	s.Notes = append(s.Notes, fmt.Sprintf("Go runtime's own accounting: StackInuse %.0f B per goroutine (go %s, GOMAXPROCS %d)",
		float64(ms1.StackInuse-ms0.StackInuse)/n, runtime.Version(), runtime.GOMAXPROCS(0)))
}

func createNs(n int) float64 {
	done := make(chan struct{})
	t := time.Now()
	for i := 0; i < n; i++ {
		go func() { done <- struct{}{} }()
		<-done
	}
	return float64(time.Since(t).Nanoseconds()) / float64(n)
}

func switchNs(n int) float64 {
	to, back := make(chan int), make(chan int)
	go func() {
		for v := range to {
			back <- v
		}
	}()
	t := time.Now()
	for i := 0; i < n; i++ {
		to <- i
		<-back
	}
	ns := float64(time.Since(t).Nanoseconds()) / float64(n)
	close(to)
	return ns
}

func tids(units int, s *samples) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	s.CreatorTid = int64(syscall.Gettid())
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
		s.UnitTids = append(s.UnitTids, <-got)
	}
	close(release)
	wg.Wait()
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

// preempt: one spinner per P spins without yielding; then a probe goroutine is made runnable.
// The latency is measured from the last spinner's start, so a main goroutine that could not run
// (no pre-emption) shows up as a long latency too.
func preempt(spin time.Duration, s *samples) {
	spinners := runtime.GOMAXPROCS(0)
	var started int64
	var lastStart atomic.Value
	var wg sync.WaitGroup
	wg.Add(spinners)
	for i := 0; i < spinners; i++ {
		go func() {
			st := time.Now()
			lastStart.Store(st)
			atomic.AddInt64(&started, 1)
			for time.Since(st) < spin {
			}
			wg.Done()
		}()
	}
	ws := time.Now()
	for atomic.LoadInt64(&started) < int64(spinners) && time.Since(ws) < spin/2 {
		runtime.Gosched()
	}
	ran := make(chan time.Time, 1)
	go func() { ran <- time.Now() }()
	at := <-ran
	from, ok := lastStart.Load().(time.Time)
	if !ok {
		from = ws
	}
	wg.Wait()
	s.SpinNs = float64(spin.Nanoseconds())
	s.Spinners = uint64(spinners)
	s.ProbeLatencyNs = float64(at.Sub(from).Nanoseconds())
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

func main() {
	part := flag.String("part", "rest", "memory or rest")
	count := flag.Int("count", 10000, "live goroutines for the memory part")
	create := flag.Int("create", 100000, "goroutines per creation repetition")
	sw := flag.Int("switch", 200000, "round trips per switch repetition")
	reps := flag.Int("reps", 3, "repetitions")
	spinMs := flag.Int("spin-ms", 200, "spin time in the pre-emption experiment")
	workMs := flag.Int("work-ms", 60, "duration of one CPU-bound unit")
	tidUnits := flag.Int("tid-units", 8, "live units in the thread id experiment")
	flag.Parse()
	if *count < 1 || *create < 1 || *sw < 1 || *reps < 1 || *tidUnits < 1 {
		fmt.Fprintln(os.Stderr, "counts must be positive")
		os.Exit(2)
	}
	s := samples{MemoryBytes: []float64{}, VirtualBytes: []float64{}, CreateNs: []float64{}, SwitchNs: []float64{},
		UnitTids: []int64{}, OneNs: []float64{}, TwoNs: []float64{}, TwoCPUNs: []float64{}, Notes: []string{}}
	switch *part {
	case "memory":
		memory(*count, &s)
	case "rest":
		for i := 0; i < *reps; i++ {
			s.CreateNs = append(s.CreateNs, createNs(*create))
			s.SwitchNs = append(s.SwitchNs, switchNs(*sw))
		}
		tids(*tidUnits, &s)
		s.Written = 0x5EED0000 + 42
		s.Seen = address(s.Written)
		preempt(time.Duration(*spinMs)*time.Millisecond, &s)
		iters := calibrate(time.Duration(*workMs) * time.Millisecond)
		for i := 0; i < *reps; i++ {
			one, _ := cpuUnits(1, iters)
			two, twoCPU := cpuUnits(2, iters)
			s.OneNs = append(s.OneNs, one)
			s.TwoNs = append(s.TwoNs, two)
			s.TwoCPUNs = append(s.TwoCPUNs, twoCPU)
		}
	default:
		fmt.Fprintln(os.Stderr, "-part must be memory or rest")
		os.Exit(2)
	}
	out, err := json.Marshal(s)
	if err != nil {
		fmt.Fprintln(os.Stderr, "encoding JSON:", err)
		os.Exit(1)
	}
	fmt.Println(string(out))
}
