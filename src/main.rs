fn main() {
    println!("facesorter: work in progress");
}
