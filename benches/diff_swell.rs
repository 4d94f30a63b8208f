//! Expression-swell benchmark: the derivative of nested softplus
//! f_N = softplus(w·f_(N−1)), f_0 = x (the weight `w` keeps `exp(ln u) = u`
//! from collapsing the nesting), for N = 10, 100, 1,000, 10,000. Prints the
//! time to differentiate and the size of the result in distinct nodes, which
//! must grow linearly in N. Run with `cargo bench --bench diff_swell`.

use nabla::diff::derivative;
use nabla::domain::Domains;
use nabla::expr::{ExprId, Func, Store};
use std::time::{Duration, Instant};

fn nested_softplus(store: &mut Store, n: usize) -> ExprId {
    let w = store.sym("w");
    let mut f = store.sym("x");
    for _ in 0..n {
        let wf = store.product(vec![w, f]);
        f = store.call1(Func::Softplus, wf);
    }
    f
}

fn main() {
    println!("| N | time (best of 5) | derivative size (distinct nodes) | nodes per level |");
    println!("|---:|---:|---:|---:|");
    for n in [10usize, 100, 1_000, 10_000] {
        let mut best = Duration::MAX;
        let mut size = 0;
        for _ in 0..5 {
            let mut store = Store::new();
            let f = nested_softplus(&mut store, n);
            let x = store.sym("x");
            let domains = Domains::new();
            let start = Instant::now();
            let d = match derivative(&mut store, &domains, f, x) {
                Ok(d) => d,
                Err(e) => {
                    eprintln!("N = {n}: {e}");
                    return;
                }
            };
            best = best.min(start.elapsed());
            size = store.dag_size(d.value);
        }
        println!(
            "| {n} | {:.3} ms | {size} | {:.2} |",
            best.as_secs_f64() * 1e3,
            size as f64 / n as f64
        );
    }
}
