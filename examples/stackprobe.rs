fn main() {
    let args: Vec<String> = std::env::args().collect();
    let kb: usize = args[1].parse().unwrap();
    let depth: usize = args[2].parse().unwrap();
    let (open, close) = (args[3].clone(), args[4].clone());
    let text = format!("claim {}x{} = x", open.repeat(depth), close.repeat(depth));
    let h = std::thread::Builder::new()
        .stack_size(kb * 1024)
        .spawn(move || nabla::syntax::parse_file(&text).errors.len())
        .unwrap();
    println!("{:?}", h.join().unwrap());
}
