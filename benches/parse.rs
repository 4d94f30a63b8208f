//! Parser throughput: a large file of realistic statements, and one of errors.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};

const FIXTURES: &[&str] = &[
    include_str!("../tests/fixtures/parse/ok/design_example.nabla"),
    include_str!("../tests/fixtures/parse/ok/backprop.nabla"),
    include_str!("../tests/fixtures/parse/ok/traps.nabla"),
];

/// About `bytes` of text made of copies of the ok fixtures.
fn large_file(bytes: usize) -> String {
    let unit = FIXTURES.join("\n");
    unit.repeat(bytes / unit.len() + 1)
}

fn parse_large_files(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse_file");
    group.sample_size(10);
    let valid = large_file(1 << 20);
    group.throughput(Throughput::Bytes(valid.len() as u64));
    group.bench_function("valid 1 MiB", |b| {
        b.iter(|| nabla::syntax::parse_file(black_box(&valid)))
    });
    let errors = "claim (x + 1 = 2\nfoo bar\n".repeat((1 << 20) / 25);
    group.throughput(Throughput::Bytes(errors.len() as u64));
    group.bench_function("one error per line 1 MiB", |b| {
        b.iter(|| nabla::syntax::parse_file(black_box(&errors)))
    });
    group.finish();
}

criterion_group!(benches, parse_large_files);
criterion_main!(benches);
