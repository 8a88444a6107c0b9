//! The spinner a scan shows on standard error while it walks, for a person at a terminal: the
//! files seen so far and the time taken, erased before the report is printed.
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// Erases itself when dropped, also when the scan fails.
pub struct Spinner(Option<ProgressBar>);

impl Spinner {
    /// A spinner on stderr when `shown` (cli decides: a terminal, no `-q`, not CI), else nothing.
    pub fn start(shown: bool) -> Spinner {
        Spinner(shown.then(|| {
            let bar = ProgressBar::new_spinner().with_style(
                ProgressStyle::with_template("{spinner} scanning: {human_pos} files, {elapsed}")
                    .expect("a valid template"),
            );
            // Ticks on its own thread, so a large file or a slow disk still shows the scan alive.
            bar.enable_steady_tick(Duration::from_millis(100));
            // The first frame now, not one tick later: even a short scan says what it does.
            bar.tick();
            bar
        }))
    }

    /// What the walker counts the files it hands out on; `None` when nothing is shown.
    pub fn counter(&self) -> Option<ProgressBar> {
        self.0.clone()
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
