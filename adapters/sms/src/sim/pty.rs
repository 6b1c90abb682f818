//! The pseudo-terminal the simulator sits behind. The master is opened with
//! `posix_openpt` (close-on-exec, so a spawned `gammu` or `lapord` does not inherit it
//! and keep the device alive after a vanish), the slave is opened here first and put in
//! raw mode before its path is published, so the line discipline never echoes or
//! translates, and that slave descriptor is kept open for the pty's life so the master
//! never reads EIO while no client has the port open. The master is non-blocking and
//! driven through tokio's [`AsyncFd`]. [`relink`] points the optional symlink at the
//! current slave atomically (a rename over the old link).

use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use nix::fcntl::{open, OFlag};
use nix::pty::{grantpt, posix_openpt, ptsname_r, unlockpt};
use nix::sys::stat::Mode;
use nix::sys::termios::{cfmakeraw, tcgetattr, tcsetattr, SetArg};
use tokio::io::unix::AsyncFd;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A pseudo-terminal: the simulator's end and the slave it keeps open.
#[derive(Debug)]
pub(crate) struct Pty {
    pub master: Master,
    /// Held so the master never sees the last slave close (EIO) between clients.
    pub slave: OwnedFd,
    pub path: PathBuf,
}

/// Opens a new pseudo-terminal with its slave in raw mode.
pub(crate) fn open_pty() -> io::Result<Pty> {
    let flags = OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC | OFlag::O_NONBLOCK;
    let master = posix_openpt(flags)?;
    grantpt(&master)?;
    unlockpt(&master)?;
    let path = PathBuf::from(ptsname_r(&master)?);
    let slave = open(
        &path,
        OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )?;
    let mut t = tcgetattr(&slave)?;
    cfmakeraw(&mut t);
    tcsetattr(&slave, SetArg::TCSANOW, &t)?;
    // SAFETY: the descriptor is moved into the AsyncFd, which owns it until dropped, and
    // an OwnedFd always reports the same open descriptor.
    let fd = unsafe { AsyncFd::register(OwnedFd::from(master)) }.map_err(|e| e.into_parts().1)?;
    let master = Master { fd };
    Ok(Pty {
        master,
        slave,
        path,
    })
}

/// Points `link` at `target`, replacing whatever `link` was, atomically.
pub(crate) fn relink(link: &Path, target: &Path) -> io::Result<()> {
    let name = link
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "link has no file name"))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".{}.tmp", std::process::id()));
    let tmp = link.with_file_name(tmp_name);
    let _ = std::fs::remove_file(&tmp);
    std::os::unix::fs::symlink(target, &tmp)?;
    std::fs::rename(&tmp, link)
}

/// Removes `link` if it is a symlink (never a file someone else put there).
pub(crate) fn unlink(link: &Path) {
    if std::fs::symlink_metadata(link).is_ok_and(|m| m.file_type().is_symlink()) {
        let _ = std::fs::remove_file(link);
    }
}

/// The master side as a tokio stream.
#[derive(Debug)]
pub(crate) struct Master {
    fd: AsyncFd<OwnedFd>,
}

impl AsyncRead for Master {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        loop {
            let mut guard = ready!(self.fd.poll_read_ready(cx))?;
            let unfilled = buf.initialize_unfilled();
            match guard.try_io(|fd| {
                nix::unistd::read(fd.get_ref().as_fd(), unfilled).map_err(io::Error::from)
            }) {
                Ok(Ok(n)) => {
                    buf.advance(n);
                    return Poll::Ready(Ok(()));
                }
                Ok(Err(e)) => return Poll::Ready(Err(e)),
                Err(_would_block) => continue,
            }
        }
    }
}

impl AsyncWrite for Master {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        loop {
            let mut guard = ready!(self.fd.poll_write_ready(cx))?;
            match guard.try_io(|fd| nix::unistd::write(fd.get_ref(), buf).map_err(io::Error::from))
            {
                Ok(result) => return Poll::Ready(result),
                Err(_would_block) => continue,
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
