//! Folders walked as ripgrep walks them (`.gitignore`, hidden files, globs,
//! documents on request) and project defaults from `nabla.toml` or
//! `pyproject.toml`, through the real binary.

use crate::util::Dir;

const GOOD: &str = "var x : real\nclaim \"good\": x + x = 2*x\n";
const BAD: &str = "var x : real\nclaim \"bad\": exp(2*x) = 2*exp(x)\n";
const NOTES: &str = "# notes\n\n$$ (x+1)^2 = x^2 + 2x + 1 $$\n";

/// The files a run reported on, in order (the text format's file headers).
fn files_checked(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter(|l| !l.starts_with(' ') && !l.is_empty() && !l.starts_with("summary:"))
        .filter(|l| l.ends_with(".nabla") || l.ends_with(".md") || l.ends_with(".tex"))
        .map(|l| l.trim_start_matches("./").to_string())
        .collect()
}

fn project() -> Dir {
    let dir = Dir::new();
    dir.create("hw/a.nabla", GOOD);
    dir.create("hw/sub/b.nabla", GOOD);
    dir.create("hw/notes.md", NOTES);
    dir.create("hw/.scratch/c.nabla", BAD);
    dir.create("hw/build/d.nabla", BAD);
    dir.create("hw/.gitignore", "build/\n");
    dir
}

#[test]
fn a_folder_is_walked_as_ripgrep_walks_it() {
    let dir = project();
    // (flags, the files checked)
    let table: &[(&[&str], &[&str])] = &[
        (&[], &["hw/a.nabla", "hw/sub/b.nabla"]),
        (
            &["--include-documents"],
            &["hw/a.nabla", "hw/notes.md", "hw/sub/b.nabla"],
        ),
        (
            &["--hidden"],
            &["hw/.scratch/c.nabla", "hw/a.nabla", "hw/sub/b.nabla"],
        ),
        (
            &["--no-ignore"],
            &["hw/a.nabla", "hw/build/d.nabla", "hw/sub/b.nabla"],
        ),
        (&["-g", "*.md"], &["hw/notes.md"]),
        (&["-g", "!sub/**"], &["hw/a.nabla"]),
        (
            &["--glob", "*.md", "--glob", "a.nabla"],
            &["hw/a.nabla", "hw/notes.md"],
        ),
    ];
    for &(flags, expected) in table {
        let mut args = vec!["check", "hw"];
        args.extend_from_slice(flags);
        let run = dir.run(&args);
        assert_eq!(
            files_checked(&run.stdout),
            expected,
            "{flags:?}\n{}",
            run.all()
        );
        let clean = !expected
            .iter()
            .any(|f| f.contains("scratch") || f.contains("build"));
        assert_eq!(
            run.code,
            if clean { 0 } else { 1 },
            "{flags:?}\n{}",
            run.all()
        );
    }
}

#[test]
fn a_file_named_on_the_command_line_is_taken_even_when_ignored() {
    let dir = project();
    let run = dir.run(&["check", "hw/build/d.nabla"]);
    assert_eq!(
        files_checked(&run.stdout),
        ["hw/build/d.nabla"],
        "{}",
        run.all()
    );
    assert_eq!(run.code, 1);
}

#[test]
fn globs_that_match_nothing_and_bad_globs_are_errors() {
    let dir = project();
    let run = dir.run(&["check", "hw", "-g", "*.tex"]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert_eq!(
        run.stderr,
        "error: no files to check in `hw` match the globs\n"
    );
    let run = dir.run(&["check", "hw", "-g", "a[b"]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr.starts_with("error: bad glob `a[b`"),
        "{}",
        run.stderr
    );
}

#[test]
fn nabla_toml_gives_paths_and_defaults_and_flags_win() {
    let dir = project();
    dir.create(
        "nabla.toml",
        "paths = [\"hw\"]\ninclude-documents = true\nseed = 7\nglob = [\"!sub/**\"]\n",
    );
    let run = dir.run(&["check"]);
    assert_eq!(
        files_checked(&run.stdout),
        ["hw/a.nabla", "hw/notes.md"],
        "{}",
        run.all()
    );
    assert_eq!(run.code, 0, "{}", run.all());
    // found from a subfolder too; its paths are relative to the file
    let sub = dir.path().join("hw/sub");
    let output = dir
        .command(&["check", "--format", "json"])
        .current_dir(&sub)
        .output()
        .expect("run nabla");
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let files: Vec<&str> = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file"].as_str().unwrap())
        .collect();
    assert_eq!(files.len(), 2, "{json}");
    assert!(files[0].ends_with("hw/a.nabla"), "{files:?}");
    // a flag wins over the file: the seed shows in a refutation
    dir.create("hw/e.nabla", BAD);
    let run = dir.run(&["check", "hw/e.nabla"]);
    assert!(run.stdout.contains("seed 7"), "{}", run.stdout);
    let run = dir.run(&["check", "hw/e.nabla", "--seed", "3"]);
    assert!(run.stdout.contains("seed 3"), "{}", run.stdout);
    let run = dir.run(&["check", "hw/e.nabla", "--no-config"]);
    assert!(run.stdout.contains("seed 1"), "{}", run.stdout);
}

#[test]
fn pyproject_tool_nabla_is_read_and_other_pyprojects_are_not() {
    let dir = project();
    dir.create(
        "pyproject.toml",
        "[project]\nname = \"hw\"\n\n[tool.nabla]\npaths = [\"hw/sub\"]\n",
    );
    let run = dir.run(&["check"]);
    assert_eq!(
        files_checked(&run.stdout),
        ["hw/sub/b.nabla"],
        "{}",
        run.all()
    );
    dir.create("pyproject.toml", "[project]\nname = \"hw\"\n");
    let run = dir.run(&["check"]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(run.all().contains("no paths given"), "{}", run.all());
}

#[test]
fn a_bad_nabla_toml_is_a_located_error_in_every_format() {
    let dir = project();
    dir.create("nabla.toml", "paths = [\"hw\"]\nstrcit = true\n");
    let run = dir.run(&["check"]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stdout.contains("unknown field `strcit`"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("nabla.toml:2:1"), "{}", run.stdout);
    let run = dir.run(&["check", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).expect("json on error");
    let d = &json["files"][0]["diagnostics"][0];
    assert_eq!(d["line"], 2, "{json}");
    assert!(d["message"].as_str().unwrap().contains("strcit"), "{json}");
}

#[test]
fn the_markdown_table_survives_input_errors() {
    use pulldown_cmark::{Event, Options, Parser, Tag};
    let dir = project();
    dir.create("broken.nabla", "claim x +\n");
    let run = dir.run(&[
        "check",
        "hw/a.nabla",
        "broken.nabla",
        "--format",
        "markdown",
    ]);
    assert_eq!(run.code, 2, "{}", run.all());
    // read as GitHub would: the table must be a table, not a list item's text
    let events: Vec<Event> = Parser::new_ext(&run.stdout, Options::ENABLE_TABLES).collect();
    let tables = events
        .iter()
        .filter(|e| matches!(e, Event::Start(Tag::Table(_))))
        .count();
    assert_eq!(tables, 1, "{}", run.stdout);
    assert!(run.stdout.contains("## Errors"), "{}", run.stdout);
}

#[test]
fn conv_same_follows_numpy_or_torch() {
    let dir = Dir::new();
    // (flags, output): an even kernel shows the one-entry difference
    let table: &[(&[&str], &str)] = &[
        (&["--mode", "same"], "[1, 3, 5, 7]\n"),
        (&["--mode", "same", "--same-as", "numpy"], "[1, 3, 5, 7]\n"),
        (&["--mode", "same", "--same-as", "torch"], "[3, 5, 7, 4]\n"),
    ];
    for &(flags, expected) in table {
        let mut args = vec!["conv", "[1, 2, 3, 4]", "[1, 1]"];
        args.extend_from_slice(flags);
        let run = dir.run(&args);
        assert_eq!(run.stdout, expected, "{flags:?}\n{}", run.all());
    }
    let run = dir.run(&["conv", "[1, 2]", "[1, 1]", "--same-as", "torch"]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stderr, "error: --same-as applies to --mode same only\n");
}
