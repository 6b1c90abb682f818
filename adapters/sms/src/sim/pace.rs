//! Baud pacing: a serial line at `b` baud carries `b / 10` bytes per second (start bit,
//! 8 data bits, stop bit). A [`Pacer`] keeps a deadline schedule for one direction: the
//! n-th byte of a busy stretch is complete `n × 10 / b` seconds after the stretch began,
//! and is handed on only then, so over any transfer nothing goes faster than the line,
//! however the bytes were batched. An idle line earns no credit: a new stretch starts
//! from the moment it is used again (a line that has been free for less than
//! [`IDLE_SLACK`] is still in its stretch, so the timer waking a little late after each
//! step does not count as idle and slow the line down). Bytes move in steps of about a millisecond of line
//! time so the timer is not asked for microsecond sleeps. It runs on tokio's clock, so
//! tests with `tokio::time::pause()` measure virtual time.

use std::time::Duration;

use tokio::time::{sleep_until, Instant};

/// How long the line must have been free before a new stretch starts.
const IDLE_SLACK: Duration = Duration::from_millis(5);

/// One direction of a paced line; unpaced when built with `None`.
#[derive(Debug)]
pub(crate) struct Pacer {
    baud: Option<u64>,
    /// Start of the current busy stretch.
    epoch: Instant,
    /// Bytes carried since `epoch`.
    carried: u64,
}

impl Pacer {
    pub fn new(baud: Option<u32>) -> Self {
        Self {
            baud: baud.filter(|b| *b > 0).map(u64::from),
            epoch: Instant::now(),
            carried: 0,
        }
    }

    /// How many bytes to move at a time: about 1 ms of line time, at least 1.
    pub fn step(&self) -> usize {
        match self.baud {
            None => 4096,
            Some(b) => (b / 10 / 1000).clamp(1, 256) as usize,
        }
    }

    /// Waits until `n` more bytes have crossed the line.
    pub async fn carry(&mut self, n: usize) {
        let Some(baud) = self.baud else { return };
        let now = Instant::now();
        if self.deadline(baud) + IDLE_SLACK < now {
            self.epoch = now;
            self.carried = 0;
        }
        self.carried += n as u64;
        sleep_until(self.deadline(baud)).await;
    }

    /// When the bytes carried so far are through: `carried × 10 / baud` s after the epoch.
    fn deadline(&self, baud: u64) -> Instant {
        let nanos = (u128::from(self.carried) * 10_000_000_000).div_ceil(u128::from(baud));
        self.epoch + Duration::from_nanos(nanos.min(u128::from(u64::MAX)) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn paced_lower_bound_over_a_whole_transfer() {
        let mut p = Pacer::new(Some(9600));
        let start = Instant::now();
        for _ in 0..96 {
            p.carry(10).await;
        }
        // 960 bytes at 960 bytes/s.
        assert!(start.elapsed() >= Duration::from_secs(1));
        assert!(start.elapsed() < Duration::from_millis(1010));
    }

    #[tokio::test(start_paused = true)]
    async fn idle_time_earns_no_credit() {
        let mut p = Pacer::new(Some(9600));
        p.carry(1).await;
        tokio::time::sleep(Duration::from_secs(5)).await;
        let start = Instant::now();
        p.carry(960).await;
        assert!(start.elapsed() >= Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn unpaced_never_waits() {
        let mut p = Pacer::new(None);
        let start = Instant::now();
        p.carry(1_000_000).await;
        assert_eq!(start.elapsed(), Duration::ZERO);
    }
}
