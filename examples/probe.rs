fn main() {
    for a in std::env::args().skip(1) {
        println!(
            "{:?}",
            nabla::syntax::parse_expr(&a)
                .map(|_| ())
                .map_err(|e| (e.span, e.message))
        );
    }
}
