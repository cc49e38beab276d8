//! Running a future that never waits — aws-config's profile loader reads the
//! files with blocking `std::fs` calls behind an `async fn` — without
//! building an async runtime on the paths that must stay fast.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// Polls `future` to completion; falls back to a current-thread runtime in
/// the unexpected case that it does wait.
pub fn on_ready<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..16 {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
    }
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(future),
        // No runtime: keep polling; the loader only waits on blocking reads.
        Err(_) => loop {
            if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
                return out;
            }
            std::thread::yield_now();
        },
    }
}
