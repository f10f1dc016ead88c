//! Helpers of the device's unit tests.

use std::net::TcpStream;

/// Limit a socket's kernel buffer (`opt`: `SO_SNDBUF` or `SO_RCVBUF`) to a few KiB, so that
/// output a peer does not read stays in the program's own buffer.
pub fn small_buffer(s: &TcpStream, opt: libc::c_int) {
    use std::os::fd::AsRawFd;
    let size: libc::c_int = 4096;
    // SAFETY: a valid socket and a pointer to a c_int of the given length.
    let r = unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            libc::SOL_SOCKET,
            opt,
            &size as *const libc::c_int as *const libc::c_void,
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    assert_eq!(r, 0, "setsockopt");
}
