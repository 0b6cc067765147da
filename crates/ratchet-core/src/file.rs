//! Reading migration files from disk.

use std::path::Path;

/// Reads a whole file with the fewest system calls: open, read, read (end of file), close.
/// `std::fs::read` and `File::read_to_end` add a `statx` and an `lseek` to size their
/// buffer; on a folder of thousands of small files, system calls are what `verify` and
/// `lint` wait for. The bytes go through a zeroed buffer reused by the thread, then into an
/// exact-size vector.
pub fn read_file(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::cell::RefCell;
    use std::io::Read;
    thread_local! {
        static BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    }
    let mut file = std::fs::File::open(path)?;
    BUFFER.with_borrow_mut(|buffer| {
        let mut len = 0;
        loop {
            if len == buffer.len() {
                buffer.resize((buffer.len() * 2).max(64 * 1024), 0);
            }
            match file.read(&mut buffer[len..]) {
                Ok(0) => return Ok(buffer[..len].to_vec()),
                Ok(n) => len += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    })
}
