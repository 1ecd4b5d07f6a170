//! The man page of a clap command line, as one page: `rootca man` prints it.
//!
//! clap_mangen writes a page per command and points from one to the next
//! (`rootca-pca(1)`); installed as one file those pointers lead nowhere. So
//! the top of the page is clap_mangen's (name, synopsis, description,
//! options), then every command down to `rootca pca import` gets a
//! subsection with its synopsis, description and options, rendered by
//! clap_mangen too, then the sections the caller adds (exit status,
//! environment) and the version.

use std::io;

use clap_mangen::Man;
use clap_mangen::roff::{Roff, roman};

/// A section the caller adds: its title and its paragraphs.
pub type Section<'a> = (&'a str, &'a [&'a str]);

/// The page for `cmd`, as roff for `man -l` or `groff -man`.
pub fn render(cmd: clap::Command, extra: &[Section<'_>]) -> io::Result<String> {
    // The bin name makes the subcommands' full names: `rootca pca import`.
    let name = cmd.get_name().to_string();
    let mut cmd = cmd.disable_help_subcommand(true).bin_name(name);
    cmd.build();
    let man = Man::new(cmd.clone());
    let mut page = Page::default();
    page.add(&man, Man::render_title, false)?;
    page.add(&man, Man::render_name_section, false)?;
    page.add(&man, Man::render_synopsis_section, false)?;
    page.add(&man, Man::render_description_section, false)?;
    page.add(&man, Man::render_options_section, false)?;
    page.roff(Roff::default().control("SH", ["COMMANDS"]))?;
    for sub in cmd.get_subcommands() {
        command(&mut page, sub)?;
    }
    for (title, paragraphs) in extra {
        let mut roff = Roff::default();
        roff.control("SH", [title.to_uppercase().as_str()]);
        for (i, paragraph) in paragraphs.iter().enumerate() {
            if i > 0 {
                roff.control("PP", []);
            }
            roff.text([roman(*paragraph)]);
        }
        page.roff(&roff)?;
    }
    page.add(&man, Man::render_version_section, false)?;
    Ok(page.text)
}

/// One command's subsection, then its subcommands'. A command that only
/// groups others (`pca`) has one too: its options apply to them all.
fn command(page: &mut Page, cmd: &clap::Command) -> io::Result<()> {
    if cmd.is_hide_set() {
        return Ok(());
    }
    let name = cmd.get_bin_name().unwrap_or_else(|| cmd.get_name());
    page.roff(Roff::default().control("SS", [name]))?;
    let man = Man::new(cmd.clone());
    page.add(&man, Man::render_synopsis_section, true)?;
    page.add(&man, Man::render_description_section, true)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        page.add(&man, Man::render_options_section, true)?;
    }
    for sub in cmd.get_subcommands() {
        command(page, sub)?;
    }
    Ok(())
}

type Part = fn(&Man, &mut dyn io::Write) -> io::Result<()>;

/// The page being written: roff's preamble once, then each part without it.
#[derive(Default)]
struct Page {
    text: String,
}

impl Page {
    /// A part clap_mangen renders; `inner` drops its `.SH` line, for a part
    /// that is the body of a subsection here rather than a section.
    fn add(&mut self, man: &Man, part: Part, inner: bool) -> io::Result<()> {
        let mut buffer = Vec::new();
        part(man, &mut buffer)?;
        let text = String::from_utf8(buffer).map_err(io::Error::other)?;
        let body = self.body(&text);
        if inner {
            for line in body.lines().filter(|l| !l.starts_with(".SH")) {
                self.text.push_str(line);
                self.text.push('\n');
            }
            // A paragraph break between the parts.
            self.text.push_str(".PP\n");
        } else {
            self.text.push_str(&body);
        }
        Ok(())
    }

    fn roff(&mut self, roff: &Roff) -> io::Result<()> {
        let mut buffer = Vec::new();
        roff.to_writer(&mut buffer)?;
        let text = String::from_utf8(buffer).map_err(io::Error::other)?;
        let body = self.body(&text);
        self.text.push_str(&body);
        Ok(())
    }

    /// `text` without roff's preamble, unless the page has none yet.
    fn body(&self, text: &str) -> String {
        let preamble = Roff::default().render();
        if self.text.is_empty() {
            text.to_string()
        } else {
            text.strip_prefix(preamble.as_str())
                .unwrap_or(text)
                .to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use clap::{Arg, Command};

    fn cli() -> Command {
        Command::new("tool")
            .version("1.2")
            .about("Does things")
            .subcommand(
                Command::new("group")
                    .about("Groups")
                    .arg(Arg::new("region").long("region").global(true))
                    .subcommand(
                        Command::new("leaf")
                            .about("The leaf's job")
                            .arg(Arg::new("out").long("out").help("Where it goes")),
                    ),
            )
            .subcommand(Command::new("other").about("Another"))
    }

    #[test]
    fn one_page_holds_every_command_with_its_options() {
        let page = render(cli(), &[("Exit status", &["0 success", "1 failure"])]).unwrap();
        assert_eq!(page.matches(".TH").count(), 1, "{page}");
        assert_eq!(
            page.matches(".ie \\n(.g").count(),
            1,
            "one preamble: {page}"
        );
        for needle in [
            ".SS \"tool group\"",
            ".SS \"tool group leaf\"",
            ".SS \"tool other\"",
            "Where it goes",
            "The leaf\\*(Aqs job",
            ".SH \"EXIT STATUS\"",
            "1 failure",
            ".SH VERSION",
        ] {
            assert!(page.contains(needle), "{needle:?} missing:\n{page}");
        }
        assert!(
            !page.contains("tool\\-group(1)"),
            "no pointers to other pages: {page}"
        );
    }
}
