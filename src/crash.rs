//! Points where the crash tests stop a run, to kill it there with SIGKILL
//! and prove that running the ceremony again ends with one key, one
//! certificate and a transcript that verifies. Only a debug build stops,
//! and only when `ROOTCA_TEST_PAUSE` names the point; a release build has
//! no such points.

/// Stops the process for good at `name` when the tests ask for it.
pub fn point(name: &str) {
    if cfg!(debug_assertions)
        && std::env::var("ROOTCA_TEST_PAUSE").is_ok_and(|p| p.split(',').any(|p| p == name))
    {
        eprintln!("rootca: paused at {name} (ROOTCA_TEST_PAUSE)");
        loop {
            std::thread::sleep(std::time::Duration::from_secs(60));
        }
    }
}
