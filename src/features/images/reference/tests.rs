use super::*;

#[test]
fn the_start_sets_read_text_as_the_automaton_does() {
    let sets = start_sets().expect("the grammar's literal text reaches few sets");
    for text in [
        "",
        "ruby",
        "Registry.Example.com/a__b/c---d.e_f:Tag_1.0-x@sha256:0123abcdef",
        "[::1]:5000/ci",
        "localhost:5000/ci/ruby",
        "a//b",
        "ruby:-1",
        "ünï",
        "x y",
        "123456789012.dkr-ecr.us-east-1.on.aws:443/ci/builder:1.4",
    ] {
        assert_eq!(
            sets.states_after(text),
            text.bytes().fold(START, step_all),
            "{text}"
        );
    }
}

fn corrected(text: &str) -> Option<String> {
    check_text(text).unwrap_err().corrected
}

#[test]
fn the_step_table_is_step_on_every_state_and_byte() {
    for bit in 0..STATES {
        for c in 0..=u8::MAX {
            assert_eq!(step_all(1 << bit, c), step(1 << bit, c), "{bit} {c}");
        }
    }
    assert_eq!(step_all(0, b'a'), 0);
    assert_eq!(step_all((1 << STATES) - 1, 0x80), 0);
}

#[test]
fn references_docker_reads_are_accepted() {
    for text in [
        "ruby",
        "ruby:3.3",
        "buildkite/agent:3-sidecar",
        "docker.io/library/postgres:17",
        "localhost:5000/ci/ruby",
        "localhost/ci",
        "[::1]:5000/ci",
        "Registry.Example.com/a__b/c---d.e_f:Tag_1.0-x",
        "public.ecr.aws/docker/library/ruby:3.3@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "123456789012.dkr-ecr.us-east-1.on.aws:443/ci/builder:1.4",
        "ruby@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    ] {
        assert_eq!(check_text(text), Ok(()), "{text}");
    }
}

#[test]
fn each_paste_is_refused_with_its_fix() {
    assert_eq!(corrected(" ruby:3.3"), Some("ruby:3.3".into()));
    assert_eq!(
        check_text(" \t").unwrap_err().reasons,
        ["it holds only white space: name an image"]
    );
    assert_eq!(
        corrected("MyCompany/CI-Ruby:3.3"),
        Some("mycompany/ci-ruby:3.3".into())
    );
    assert_eq!(
        corrected("docker pull buildkite/agent:3-sidecar"),
        Some("buildkite/agent:3-sidecar".into())
    );
    assert_eq!(
        corrected("https://hub.docker.com/_/postgres"),
        Some("postgres".into())
    );
    assert_eq!(
        corrected("https://registry.example.com/ci/app:1"),
        Some("registry.example.com/ci/app:1".into())
    );
    assert_eq!(corrected("redis:7:alpine"), Some("redis:7-alpine".into()));
    let reasons = check_text("ruby:3.3 slim").unwrap_err();
    assert_eq!(reasons.corrected, None);
    assert_eq!(
        reasons.reasons,
        ["no part of an image reference holds white space"]
    );
}

#[test]
fn what_no_fix_reaches_gets_the_grammar() {
    for text in ["a//b", "ruby:", "-x", "a._b", "ruby:-1", "ünï"] {
        let refused = check_text(text).unwrap_err();
        assert_eq!(refused.corrected, None, "{text}");
        assert!(
            refused.reasons.last().unwrap().contains("<repository>"),
            "{text}"
        );
    }
    assert!(check_text(&format!("ruby:{}", "1".repeat(129))).is_err());
    assert!(check_text(&format!("ruby:{}", "1".repeat(128))).is_ok());
    assert!(check_text(&"a".repeat(256)).is_err());
    assert!(check_text("ruby@sha256:abc").is_err());
    assert!(
        check_text("ruby@sha512:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
            .is_err()
    );
    assert!(check_text(&format!("{}:{}", "a".repeat(200), "1".repeat(56))).is_err());
    assert!(check_text(&format!("{}:{}", "a".repeat(200), "1".repeat(54))).is_ok());
    // Around the short cut for a text of at most a tag's length without a digest.
    assert!(check_text(&format!("a:{}", "1".repeat(126))).is_ok());
    assert!(check_text(&format!("a:{}", "1".repeat(127))).is_ok());
    assert!(check_text(&format!("a:{}", "1".repeat(128))).is_ok());
    assert!(check_text(&format!("a:{}", "1".repeat(129))).is_err());
    assert!(check_text("a@sha256:0").is_err());
}

#[test]
fn holes_may_hold_anything_but_the_text_around_them_must_fit() {
    let text = |t: &'static str| Stretch::Text(Cow::Borrowed(t));
    let ok = [
        vec![Stretch::Hole, text(":latest")],
        vec![
            Stretch::Hole,
            text(".dkr.ecr."),
            Stretch::Hole,
            text("/ci/ruby:"),
            Stretch::Hole,
        ],
        vec![text("ruby:"), Stretch::Hole],
        vec![Stretch::Hole],
    ];
    for stretches in ok {
        assert_eq!(check(&stretches), Ok(()), "{stretches:?}");
    }
    let refused = check(&[Stretch::Hole, text(":My Tag")]).unwrap_err();
    assert!(refused.reasons[0].contains("white space"), "{refused:?}");
    let upper = check(&[Stretch::Hole, text("/MyCompany/ci:"), Stretch::Hole]).unwrap_err();
    assert_eq!(upper.reasons, ["repository names are lower case"]);
    let neither = check(&[text("ruby:"), Stretch::Hole, text("::")]).unwrap_err();
    assert!(
        neither.reasons[0].contains("whatever its variables hold"),
        "{neither:?}"
    );
    assert!(check(&[text("https://"), Stretch::Hole]).is_err());
    assert!(check(&[text("docker pull "), Stretch::Hole]).is_err());
}
