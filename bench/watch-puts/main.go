// watch-puts: kvbench's watch run (one writer putting to one key, N watchers on it, latency =
// delivery time - put start) with each put followed on its own: how long the put took to be
// answered, and when its events reached the first, the median and the last watcher. Used to
// tell a slow put from slow deliveries (docs/performance.md). Built like kvbench, against
// Debian's etcd client sources (bench/watch-puts.sh builds it).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"sync"
	"time"

	"go.etcd.io/etcd/clientv3"
)

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func main() {
	endpoint := flag.String("endpoint", "127.0.0.1:2379", "the member's client endpoint")
	conns := flag.Int("conns", 10, "client connections (watchers are spread over them)")
	watchers := flag.Int("watchers", 100, "watchers")
	puts := flag.Int("puts", 2000, "puts, one after the other")
	show := flag.Int("show", 20, "puts listed one by one (the first ones)")
	flag.Parse()

	cls := make([]*clientv3.Client, *conns)
	for i := range cls {
		c, err := clientv3.New(clientv3.Config{Endpoints: []string{*endpoint}, DialTimeout: 5 * time.Second})
		if err != nil {
			fmt.Fprintln(os.Stderr, "dial:", err)
			os.Exit(2)
		}
		defer c.Close()
		cls[i] = c
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	start := make([]time.Time, *puts)
	answered := make([]time.Duration, *puts)
	var mu sync.Mutex
	delivered := make([][]time.Duration, *puts) // per put, each watcher's delivery latency
	var wg, ready sync.WaitGroup
	for w := 0; w < *watchers; w++ {
		wg.Add(1)
		ready.Add(1)
		go func(w int) {
			defer wg.Done()
			wc := cls[w%len(cls)].Watch(ctx, "watch-key")
			ready.Done()
			n := 0
			for resp := range wc {
				now := time.Now()
				for _, ev := range resp.Events {
					i, err := strconv.Atoi(string(ev.Kv.Value))
					if err == nil && i >= 0 && i < *puts {
						mu.Lock()
						delivered[i] = append(delivered[i], now.Sub(start[i]))
						mu.Unlock()
					}
					n++
				}
				if n >= *puts {
					return
				}
			}
		}(w)
	}
	ready.Wait()
	time.Sleep(500 * time.Millisecond)
	for i := 0; i < *puts; i++ {
		mu.Lock()
		start[i] = time.Now()
		mu.Unlock()
		if _, err := cls[0].Put(ctx, "watch-key", strconv.Itoa(i)); err != nil {
			fmt.Fprintln(os.Stderr, "put:", err)
			os.Exit(1)
		}
		answered[i] = time.Since(start[i])
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		fmt.Fprintln(os.Stderr, "watchers did not get every event within 30 s")
	}
	mu.Lock()
	defer mu.Unlock()

	var all []time.Duration
	for _, d := range delivered {
		all = append(all, d...)
	}
	sort.Slice(all, func(a, b int) bool { return all[a] < all[b] })
	pct := func(d []time.Duration, p float64) time.Duration {
		if len(d) == 0 {
			return 0
		}
		return d[int(float64(len(d)-1)*p)]
	}
	p99 := pct(all, 0.99)
	fmt.Printf("deliveries %d  p50 %.3f ms  p99 %.3f ms\n", len(all), ms(pct(all, 0.5)), ms(p99))
	fmt.Println("put  answered  first delivery  median  last  (ms after the put started)")
	for i := 0; i < *show && i < *puts; i++ {
		d := append([]time.Duration(nil), delivered[i]...)
		sort.Slice(d, func(a, b int) bool { return d[a] < d[b] })
		fmt.Printf("%3d  %8.2f  %14.2f  %6.2f  %5.2f\n", i, ms(answered[i]), ms(pct(d, 0)), ms(pct(d, 0.5)), ms(pct(d, 1)))
	}
	fmt.Println("puts       deliveries  above p99  slowest answer")
	for _, r := range [][2]int{{0, 10}, {10, 100}, {100, 500}, {500, 1000}, {1000, *puts}} {
		if r[0] >= *puts {
			break
		}
		if r[1] > *puts {
			r[1] = *puts
		}
		n, over := 0, 0
		var slowest time.Duration
		for i := r[0]; i < r[1]; i++ {
			for _, d := range delivered[i] {
				n++
				if d > p99 {
					over++
				}
			}
			if answered[i] > slowest {
				slowest = answered[i]
			}
		}
		fmt.Printf("%4d-%-4d  %10d  %9d  %11.2f ms\n", r[0], r[1]-1, n, over, ms(slowest))
	}
}
