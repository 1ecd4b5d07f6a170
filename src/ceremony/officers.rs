//! The people in the room: confirmations are typed at the controlling
//! terminal by the officers themselves, never read from a pipe, and a
//! ceremony that asks for two-person control gets each named officer's own
//! confirmation.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};

use crate::text::shown;

/// Who runs the ceremony, as the command line and the file say.
#[derive(Debug, Clone, Default)]
pub struct People {
    /// `--yes`: no confirmation is asked.
    pub yes: bool,
    /// `--officer NAME`, in the order given.
    pub officers: Vec<String>,
    /// `--witness NAME`.
    pub witnesses: Vec<String>,
    /// `--json`: the outcome as JSON on stdout, the officers' lines on stderr.
    pub json: bool,
}

/// Why a ceremony cannot start with the people given.
#[derive(Debug, thiserror::Error)]
pub enum RoomError {
    #[error(
        "no terminal to confirm at: rootca reads each confirmation from the controlling terminal, so that \
         it is a person who types it, never a pipe or a script; run the ceremony at a terminal, or pass \
         --yes for an unattended practice run. Nothing was changed."
    )]
    NoTerminal,
    #[error(
        "the ceremony file sets confirm_by = {0}: every irreversible step is confirmed by {0} named officers, \
         and --yes cannot stand in for them. Nothing was changed."
    )]
    YesWithTwoPersonControl(u32),
    #[error(
        "the ceremony file sets confirm_by = {need}: name at least {need} distinct officers with --officer NAME \
         (named: {named}). Nothing was changed."
    )]
    TooFewOfficers { need: u32, named: String },
    #[error("--officer {0:?} is given twice: each officer is named once. Nothing was changed.")]
    OfficerTwice(String),
    #[error(
        "--officer {0:?} contains a character that changes how it looks on screen; give the plain name. \
         Nothing was changed."
    )]
    DeceptiveName(String),
}

/// The controlling terminal, if this process has one.
fn open_terminal() -> Option<(File, BufReader<File>)> {
    let tty = OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .ok()?;
    let reader = BufReader::new(tty.try_clone().ok()?);
    Some((tty, reader))
}

/// Confirmations, asked at the terminal.
pub struct Room {
    people: People,
    confirm_by: u32,
    terminal: Option<(File, BufReader<File>)>,
}

impl Room {
    /// Checks that the people given can run a ceremony that confirms
    /// `confirms` steps with `confirm_by` officers each.
    pub fn new(people: &People, confirm_by: u32, confirms: bool) -> Result<Self, RoomError> {
        for (i, name) in people.officers.iter().enumerate() {
            if people.officers[..i].contains(name) {
                return Err(RoomError::OfficerTwice(name.clone()));
            }
            if crate::text::deceptive_char(name).is_some() || name.trim().is_empty() {
                return Err(RoomError::DeceptiveName(name.clone()));
            }
        }
        for name in &people.witnesses {
            if crate::text::deceptive_char(name).is_some() {
                return Err(RoomError::DeceptiveName(name.clone()));
            }
        }
        if confirm_by > 1 {
            if people.yes {
                return Err(RoomError::YesWithTwoPersonControl(confirm_by));
            }
            if (people.officers.len() as u32) < confirm_by {
                return Err(RoomError::TooFewOfficers {
                    need: confirm_by,
                    named: if people.officers.is_empty() {
                        "none".into()
                    } else {
                        people.officers.join(", ")
                    },
                });
            }
        }
        let terminal = if people.yes { None } else { open_terminal() };
        if confirms && !people.yes && terminal.is_none() {
            return Err(RoomError::NoTerminal);
        }
        Ok(Self {
            people: people.clone(),
            confirm_by,
            terminal,
        })
    }

    pub fn people(&self) -> &People {
        &self.people
    }

    pub fn confirm_by(&self) -> u32 {
        self.confirm_by
    }

    /// Writes `prompt` to the terminal and reads one line from it; None
    /// without a terminal or at its end.
    pub fn ask(&mut self, prompt: &str) -> Option<String> {
        let (tty, reader) = self.terminal.as_mut()?;
        let _ = write!(tty, "{prompt}");
        let _ = tty.flush();
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(n) if n > 0 => Some(line.trim().to_string()),
            _ => None,
        }
    }

    /// Asks for the confirmation of step `number`: `Some(names)` of those
    /// who confirmed (empty under `--yes` and for a single confirmation),
    /// None if it was refused.
    pub fn confirm(&mut self, number: u32, title: &str) -> Option<Vec<String>> {
        if self.people.yes {
            return Some(Vec::new());
        }
        let title = shown(title);
        if self.confirm_by <= 1 {
            let answer = self.ask(&format!(
                "\n  Step {number}: {title}.\n  Type \"yes\" to go on, anything else stops the ceremony: "
            ))?;
            // One confirmation is not attributed to a name: nothing says
            // which of the officers present typed it.
            return (answer == "yes").then(Vec::new);
        }
        let need = self.confirm_by as usize;
        let mut confirmed: Vec<String> = Vec::new();
        let _ = self.tell(&format!(
            "\n  Step {number}: {title}.\n  {need} officers confirm it, each typing their own name and then \"yes\".\n"
        ));
        while confirmed.len() < need {
            let left: Vec<String> = self
                .people
                .officers
                .iter()
                .filter(|o| !confirmed.contains(o))
                .cloned()
                .collect();
            let names = left.iter().map(|o| shown(o)).collect::<Vec<_>>().join(", ");
            let who = self.ask(&format!(
                "  Officer {} of {need}, your name ({names}): ",
                confirmed.len() + 1
            ))?;
            let Some(officer) = left.into_iter().find(|o| *o == who) else {
                let _ = self.tell(&format!(
                    "  \"{}\" is not an officer named for this ceremony who has yet to confirm; the ceremony stops.\n",
                    shown(&who)
                ));
                return None;
            };
            let answer = self.ask(&format!(
                "  {}, type \"yes\" to go on, anything else stops the ceremony: ",
                shown(&officer)
            ))?;
            if answer != "yes" {
                return None;
            }
            confirmed.push(officer);
        }
        Some(confirmed)
    }

    /// Writes to the terminal without waiting for an answer.
    fn tell(&mut self, text: &str) -> Option<()> {
        let (tty, _) = self.terminal.as_mut()?;
        write!(tty, "{text}").ok()?;
        tty.flush().ok()
    }
}
