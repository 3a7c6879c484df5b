// The peer of bench/bench_crossloop.cpp: work handed between tokio
// current_thread runtimes, one per thread (as aio's one loop per thread).
// - roundtrip: a task on runtime A awaits a task spawned on runtime B
//   (Handle::spawn + awaiting its JoinHandle from A): aio's
//   wrap_future(run_coroutine_threadsafe(...)).
// - blocking_roundtrip: a plain thread spawns on B and blocks for the result
//   (futures::executor::block_on of the JoinHandle): ConcurrentFuture::result().
// - queue_loops_N: a bounded mpsc channel (1024) fed by N producer runtimes,
//   drained by one consumer task on runtime A: aio::ThreadSafeQueue.
// - queue_thread: one plain thread (blocking_send) feeding a consumer task.
// Prints one `key=value` line per row; the median of 5 rounds.
// Built in /work/peers/rust as src/bin/crossloop_tokio.rs (a copy of this file).
use std::thread;
use std::time::Instant;
use tokio::runtime::{Builder, Handle};
use tokio::sync::{mpsc, oneshot};

const ITEMS: i64 = 200_000;
const QUEUE: usize = 1024;

fn loop_thread() -> (Handle, oneshot::Sender<()>, thread::JoinHandle<()>) {
    let (htx, hrx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let j = thread::spawn(move || {
        let rt = Builder::new_current_thread().enable_all().build().unwrap();
        htx.send(rt.handle().clone()).unwrap();
        rt.block_on(async move {
            let _ = stop_rx.await;
        });
    });
    (hrx.recv().unwrap(), stop_tx, j)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn roundtrip(n: i64) -> f64 {
    let (hb, stop, j) = loop_thread();
    let rt = Builder::new_current_thread().enable_all().build().unwrap();
    let ns = rt.block_on(async move {
        let t0 = Instant::now();
        let mut check = 0i64;
        for i in 0..n {
            check += hb.spawn(async move { i * 7 }).await.unwrap();
        }
        assert!(check >= 0);
        t0.elapsed().as_nanos() as f64 / n as f64
    });
    let _ = stop.send(());
    j.join().unwrap();
    ns
}

fn blocking_roundtrip(n: i64) -> f64 {
    let (hb, stop, j) = loop_thread();
    let t0 = Instant::now();
    let mut check = 0i64;
    for i in 0..n {
        check += futures::executor::block_on(hb.spawn(async move { i * 7 })).unwrap();
    }
    assert!(check >= 0);
    let ns = t0.elapsed().as_nanos() as f64 / n as f64;
    let _ = stop.send(());
    j.join().unwrap();
    ns
}

fn queue_loops(producers: i64) -> f64 {
    let loops: Vec<_> = (0..producers).map(|_| loop_thread()).collect();
    let per = ITEMS / producers;
    let (tx, mut rx) = mpsc::channel::<i64>(QUEUE);
    let rt = Builder::new_current_thread().enable_all().build().unwrap();
    let t0 = Instant::now();
    let mut done = Vec::new();
    for (h, _, _) in &loops {
        let tx = tx.clone();
        done.push(h.spawn(async move {
            for i in 0..per {
                tx.send(i).await.unwrap();
            }
        }));
    }
    drop(tx);
    let sum = rt.block_on(async move {
        let mut sum = 0i64;
        for _ in 0..per * producers {
            sum += rx.recv().await.unwrap();
        }
        for d in done {
            d.await.unwrap();
        }
        sum
    });
    assert!(sum >= 0);
    let rate = (per * producers) as f64 / t0.elapsed().as_secs_f64();
    for (_, stop, j) in loops {
        let _ = stop.send(());
        j.join().unwrap();
    }
    rate
}

fn queue_thread() -> f64 {
    let (tx, mut rx) = mpsc::channel::<i64>(QUEUE);
    let rt = Builder::new_current_thread().enable_all().build().unwrap();
    let t0 = Instant::now();
    let p = thread::spawn(move || {
        for i in 0..ITEMS {
            tx.blocking_send(i).unwrap();
        }
    });
    let sum = rt.block_on(async move {
        let mut sum = 0i64;
        for _ in 0..ITEMS {
            sum += rx.recv().await.unwrap();
        }
        sum
    });
    assert!(sum >= 0);
    p.join().unwrap();
    ITEMS as f64 / t0.elapsed().as_secs_f64()
}

fn main() {
    let rounds = 5;
    let rt_ns = median((0..rounds).map(|_| roundtrip(50_000)).collect());
    println!("roundtrip_ns={:.0}", rt_ns);
    let brt_ns = median((0..rounds).map(|_| blocking_roundtrip(20_000)).collect());
    println!("blocking_roundtrip_ns={:.0}", brt_ns);
    for p in [1, 3] {
        let r = median((0..rounds).map(|_| queue_loops(p)).collect());
        println!("queue_loops_{}_items_per_s={:.0}", p, r);
    }
    let r = median((0..rounds).map(|_| queue_thread()).collect());
    println!("queue_thread_items_per_s={:.0}", r);
}
