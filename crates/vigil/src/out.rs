//! Standard output of the command line. Everything `vigil` prints for a reader goes through
//! [`print`]: when the reader has gone away (`vigil actions --json | head -1`), the process
//! ends quietly with status 0, as ripgrep and other Unix filters do, instead of panicking in
//! `println!` on the broken pipe.

use std::io::{ErrorKind, Write};

/// Write `text` to stdout and flush it; a closed pipe ends the process with status 0, any
/// other write error with status 2 and the reason on stderr.
pub fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => {
            eprintln!("vigil: cannot write to stdout: {e}");
            std::process::exit(2);
        }
    }
}

/// `println!` through [`print`].
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::out::print(&format!("{}\n", format_args!($($arg)*)))
    };
}
pub(crate) use outln;
