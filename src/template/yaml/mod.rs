//! Reading templates (YAML with CloudFormation's short-form tags, or JSON) into the long JSON form
//! CloudFormation sends a macro, exactly as AWS's cfn-lint decoder reads them, and writing a
//! template back as YAML that reads the same way.
//!
//! Reading is in two steps, as in PyYAML: [`compose`] turns the text into nodes (one document,
//! tags resolved by the YAML 1.1 rules of [`resolve`], aliases pointing at their anchored node),
//! then [`construct`] turns the nodes into JSON with cfn-lint's constructors. JSON is read the
//! same way, being YAML, as the decoder reads it.

mod compose;
mod construct;
mod error;
mod key;
mod resolve;
mod write;

use serde_json::Value;

pub use error::TemplateReadError;
pub use write::to_yaml_string;

/// Reads a template, YAML or JSON, as AWS's cfn-lint decoder reads it (see the module's
/// documentation), except that a date stays the text written.
pub fn parse_template(text: &str) -> Result<Value, TemplateReadError> {
    let format = if text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with('{')
    {
        "JSON"
    } else {
        "YAML"
    };
    let document = compose::compose(text, format)?;
    // cfn-lint bounds the size of what aliases expand to when the text has an `&`.
    let template = construct::construct_template(&document, text.contains('&'))?;
    if template.is_object() {
        Ok(template)
    } else {
        Err(TemplateReadError::NotAMapping)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn short_form_tags_become_long_form() {
        let text = r#"
Resources:
  A:
    Properties:
      Ref: !Ref Name
      Att: !GetAtt Db.Endpoint.Address
      AttList: !GetAtt [Db, Arn]
      Sub: !Sub "${AWS::Region}-x"
      SubList: !Sub ["${A}", {A: !Ref B}]
      Join: !Join [",", [a, b]]
      Select: !Select [0, !GetAZs ""]
      Split: !Split [",", "a,b"]
      If: !If [Cond, !Ref "AWS::NoValue", x]
      Cond: !And [!Equals [a, b], !Not [!Condition Other], !Or [!Condition C1, !Condition C2]]
      Map: !FindInMap [M, K, V]
      Import: !ImportValue Exported
      B64: !Base64 text
      Cidr: !Cidr [10.0.0.0/16, 4, 8]
      Tx: !Transform {Name: AWS::Include, Parameters: {Location: s3://b/k}}
"#;
        let template = parse_template(text).unwrap();
        let properties = &template["Resources"]["A"]["Properties"];
        assert_eq!(properties["Ref"], json!({"Ref": "Name"}));
        assert_eq!(
            properties["Att"],
            json!({"Fn::GetAtt": ["Db", "Endpoint.Address"]})
        );
        assert_eq!(properties["AttList"], json!({"Fn::GetAtt": ["Db", "Arn"]}));
        assert_eq!(properties["Sub"], json!({"Fn::Sub": "${AWS::Region}-x"}));
        assert_eq!(
            properties["SubList"],
            json!({"Fn::Sub": ["${A}", {"A": {"Ref": "B"}}]})
        );
        assert_eq!(properties["Join"], json!({"Fn::Join": [",", ["a", "b"]]}));
        assert_eq!(
            properties["Select"],
            json!({"Fn::Select": [0, {"Fn::GetAZs": ""}]})
        );
        assert_eq!(properties["Split"], json!({"Fn::Split": [",", "a,b"]}));
        assert_eq!(
            properties["If"],
            json!({"Fn::If": ["Cond", {"Ref": "AWS::NoValue"}, "x"]})
        );
        assert_eq!(
            properties["Cond"],
            json!({"Fn::And": [
                {"Fn::Equals": ["a", "b"]},
                {"Fn::Not": [{"Condition": "Other"}]},
                {"Fn::Or": [{"Condition": "C1"}, {"Condition": "C2"}]}
            ]})
        );
        assert_eq!(properties["Map"], json!({"Fn::FindInMap": ["M", "K", "V"]}));
        assert_eq!(properties["Import"], json!({"Fn::ImportValue": "Exported"}));
        assert_eq!(properties["B64"], json!({"Fn::Base64": "text"}));
        assert_eq!(
            properties["Cidr"],
            json!({"Fn::Cidr": ["10.0.0.0/16", 4, 8]})
        );
        assert_eq!(
            properties["Tx"],
            json!({"Fn::Transform": {"Name": "AWS::Include", "Parameters": {"Location": "s3://b/k"}}})
        );
    }

    #[test]
    fn quoted_numbers_and_dates_stay_strings() {
        let template =
            parse_template("AWSTemplateFormatVersion: '2010-09-09'\nA: \"1\"\nB: 1\nC: 0.5\n")
                .unwrap();
        assert_eq!(
            template,
            json!({"AWSTemplateFormatVersion": "2010-09-09", "A": "1", "B": 1, "C": 0.5})
        );
    }

    #[test]
    fn json_is_read_as_the_decoder_reads_it_keeping_key_order() {
        let template = parse_template(r#"{"Z": 1, "A": {"Ref": "X"}}"#).unwrap();
        let keys: Vec<_> = template.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["Z", "A"]);
        // JSON is YAML to the decoder: 1e3 is a string there too, 1.5E+3 a float.
        let template = parse_template("{\"A\": 1e3, \"B\": 1.5E+3, \"C\": -0}").unwrap();
        assert_eq!(template, json!({"A": "1e3", "B": 1500.0, "C": 0}));
        let error = parse_template("{\"A\": 1,\n \"A\": 2}").unwrap_err();
        assert_eq!(
            error.to_string(),
            "A at line 2 column 2: a key given twice in one mapping (first at line 1 column 2)"
        );
    }

    fn read(text: &str) -> Value {
        parse_template(text).unwrap_or_else(|error| panic!("{text}: {error}"))
    }

    #[test]
    fn plain_scalars_are_read_the_yaml_1_1_way() {
        let template = read(
            "A: [Yes, no, On, OFF, y, n]\nB: [0755, 0o755, 1_000, 1:20, 0x1F, 0b101, 08]\n\
             C: [1e3, 1.5e3, 1.5e+3, .5, 190:20:30.15]\nD: [~, null, NULL, nUll, ]\n\
             E: ['yes', \"0755\", '1:20', \"~\"]\n",
        );
        assert_eq!(
            template,
            json!({
                "A": [true, false, true, false, "y", "n"],
                "B": [493, "0o755", 1000, 80, 31, 5, "08"],
                "C": ["1e3", "1.5e3", 1500.0, 0.5, 685_230.15],
                "D": [null, null, null, "nUll"],
                "E": ["yes", "0755", "1:20", "~"]
            })
        );
    }

    #[test]
    fn dates_stay_the_text_written() {
        let template = read(
            "AWSTemplateFormatVersion: 2010-09-09\nA: 2001-12-14t21:59:43.10-05:00\n\
             B: 2010-13-45\n2024-01-31: key\n",
        );
        assert_eq!(
            template,
            json!({
                "AWSTemplateFormatVersion": "2010-09-09",
                "A": "2001-12-14t21:59:43.10-05:00",
                "B": "2010-13-45",
                "2024-01-31": "key"
            })
        );
    }

    /// The YAML merge-key spec (yaml.org/type/merge.html): "each of these nodes is merged in turn
    /// according to its order in the sequence. Keys in mapping nodes earlier in the sequence
    /// override keys specified in later mapping nodes." So in `<<: [*a, *b]` a key of `a` wins over
    /// the same key of `b`. PyYAML 6.0.3 and cfn-lint's decoder on it agree; PyYAML 6.0.4 lets the
    /// later mapping win (for keys whose text is not one interned Python string), and the corpus
    /// check refuses to run on it.
    #[test]
    fn a_merge_list_lets_the_earlier_mapping_win_as_the_yaml_spec_says() {
        // The spec's own example: "All the following maps are equal".
        let template = read(
            "Center: &CENTER { x: 1, y: 2 }\nLeft: &LEFT { x: 0, y: 2 }\n\
             Big: &BIG { r: 10 }\nSmall: &SMALL { r: 1 }\n\
             Explicit: {x: 1, y: 2, r: 10, label: center/big}\n\
             MergeOne: {<<: *CENTER, r: 10, label: center/big}\n\
             MergeMultiple: {<<: [*CENTER, *BIG], label: center/big}\n\
             Override: {<<: [*BIG, *LEFT, *SMALL], x: 1, label: center/big}\n",
        );
        let explicit = json!({"x": 1, "y": 2, "r": 10, "label": "center/big"});
        for name in ["Explicit", "MergeOne", "MergeMultiple", "Override"] {
            assert_eq!(template[name], explicit, "{name}");
        }
        // Longer keys, where PyYAML 6.0.4 differs: Size comes from Extra, listed first.
        let template = read(
            "Extra: &extra {Size: large, Zone: a}\nBase: &base {Region: us-east-1, Size: small}\n\
             Merged: {<<: [*extra, *base], Own: 1}\n",
        );
        assert_eq!(
            template["Merged"],
            json!({"Region": "us-east-1", "Size": "large", "Zone": "a", "Own": 1})
        );
    }

    #[test]
    fn merge_keys_merge_as_pyyaml_6_0_3_does() {
        let template = read(
            "Base: &base {Region: r, Size: s}\nExtra: &extra {Size: l, Zone: z}\n\
             One: {Size: m, <<: *base, Own: 1}\nList: {<<: [*extra, *base]}\n\
             Repeated: {<<: *base, a: 1, a: 2}\nQuoted: {\"<<\": x}\n",
        );
        // Merged entries first, in the merged mapping's order; a written entry wins.
        assert_eq!(
            template["One"],
            json!({"Region": "r", "Size": "m", "Own": 1})
        );
        let keys: Vec<_> = template["One"].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["Region", "Size", "Own"]);
        // Of a list, the first listed wins, and the last listed comes first.
        assert_eq!(
            template["List"],
            json!({"Region": "r", "Size": "l", "Zone": "z"})
        );
        let keys: Vec<_> = template["List"].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["Region", "Size", "Zone"]);
        // A mapping that merges may repeat a key: the last wins.
        assert_eq!(template["Repeated"]["a"], 2);
        assert_eq!(template["Quoted"], json!({"<<": "x"}));
    }

    #[test]
    fn anchors_aliases_and_the_non_specific_tag() {
        let template = read(
            "A: &a !Sub \"${X}\"\nB: *a\nC: &c [1, 2]\nD: *c\n! \"Ref\": \"AWS::AccountId\"\n\
             E: ! \"123\"\nF: !\nG: ! text\n",
        );
        assert_eq!(
            template,
            json!({
                "A": {"Fn::Sub": "${X}"}, "B": {"Fn::Sub": "${X}"}, "C": [1, 2], "D": [1, 2],
                "Ref": "AWS::AccountId", "E": 123, "F": "", "G": "text"
            })
        );
    }

    #[test]
    fn keys_are_written_as_json_writes_them() {
        let template =
            read("80: a\n0755: b\nyes: c\n1.5: d\n1e3: e\nF: !Transform {1: x, 1: y, ~: z}\n");
        assert_eq!(
            template,
            json!({"80": "a", "493": "b", "true": "c", "1.5": "d", "1e3": "e",
                   "F": {"Fn::Transform": {"1": "y", "null": "z"}}})
        );
    }

    #[test]
    fn what_has_no_json_form_is_refused_naming_the_place() {
        for (text, expected) in [
            (
                "A:\n  B: .inf\n",
                "A.B at line 2 column 6: numbers must be finite (.inf and .nan have no JSON form)",
            ),
            (
                "A: 123456789012345678901234567890\n",
                "A at line 1 column 4: an integer past 64 bits, which the macro cannot carry exactly: quote it",
            ),
            (
                "A: !!binary aGVsbG8=\n",
                "A at line 1 column 4: !!binary has no JSON form",
            ),
            (
                "A:\n  1: x\n  \"1\": y\n",
                "A at line 3 column 3: two keys that JSON writes the same (such as 1 and \"1\")",
            ),
            (
                "A:\n  ~: x\n",
                "A at line 2 column 3: a null key, which a template cannot hold",
            ),
            (
                "A: 1\n---\nB: 2\n",
                "line 2 column 1: a second document: a template is one YAML document",
            ),
            (
                "A: =\n",
                "A at line 1 column 4: a plain =, !, & or * means nothing to a YAML 1.1 reader: quote it",
            ),
        ] {
            assert_eq!(
                parse_template(text).unwrap_err().to_string(),
                expected,
                "{text}"
            );
        }
        assert_eq!(read(""), json!({}));
        assert_eq!(read("~\n"), json!({}));
    }

    #[test]
    fn refusals_do_not_quote_the_template() {
        for text in [
            "Password: !!int hunter2-secret\n",
            "Password: !!bool hunter2-secret\n",
            "Password: \"hunter2-secret \\q\"\n",
            "Password: !!python/str hunter2-secret\n",
            "Password: [hunter2-secret, &x.y hunter2-secret]\n",
        ] {
            let error = parse_template(text).unwrap_err().to_string();
            assert!(!error.contains("hunter2"), "{error}");
            assert!(error.contains("line 1"), "{error}");
        }
    }

    #[test]
    fn every_local_tag_is_a_function_as_the_decoder_reads_it() {
        let template = parse_template(
            "Rules:\n  R:\n    Assertions:\n      - Assert: !Contains [[a], !ValueOf [P, Tags]]\n\
             Resources:\n  A:\n    Properties:\n      Az: !Select [0, !GetAZs ]\n      \
             Att: !GetAtt NoDot\n      Other: !Reff Y\n",
        )
        .unwrap();
        assert_eq!(
            template["Rules"]["R"]["Assertions"][0]["Assert"],
            json!({"Fn::Contains": [["a"], {"Fn::ValueOf": ["P", "Tags"]}]})
        );
        let properties = &template["Resources"]["A"]["Properties"];
        assert_eq!(
            properties["Az"],
            json!({"Fn::Select": [0, {"Fn::GetAZs": ""}]})
        );
        assert_eq!(properties["Att"], json!({"Fn::GetAtt": ["NoDot"]}));
        assert_eq!(properties["Other"], json!({"Fn::Reff": "Y"}));
    }

    #[test]
    fn refusals_name_the_place() {
        let error = parse_template("Resources:\n  A:\n    Properties:\n      X: !!python/str Y\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            error,
            "Resources.A.Properties.X at line 4 column 10: unknown tag !!python/str"
        );
        let error = parse_template("Resources:\n  A:\n    Type: X\n    Type: Y\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            error,
            "Resources.A.Type at line 4 column 5: a key given twice in one mapping (first at line 3 column 5)"
        );
    }

    #[test]
    fn a_stream_nested_far_too_deep_is_refused_without_reading_it_all() {
        // 200,000 unclosed `[`: the scanner's work per token grows with the depth, so reading
        // all of it took minutes; the composer stops a little past the depth it may have.
        let text = format!("Resources: {}", "[".repeat(200_000));
        let started = std::time::Instant::now();
        let error = parse_template(&text).unwrap_err().to_string();
        assert!(
            error.ends_with(
                "nested deeper than 128 levels, more than the macro reads CloudFormation's JSON to"
            ),
            "{error}"
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
    }

    #[test]
    fn yaml_errors_do_not_quote_the_template() {
        let error = parse_template("A: [unclosed-secret-value\n")
            .unwrap_err()
            .to_string();
        assert!(!error.contains("unclosed-secret-value"), "{error}");
        assert!(error.contains("line"), "{error}");
    }

    #[test]
    fn top_level_must_be_a_mapping() {
        assert_eq!(
            parse_template("- a\n- b\n"),
            Err(TemplateReadError::NotAMapping)
        );
    }

    #[test]
    fn written_yaml_reads_back_to_the_same_template() {
        let template = json!({
            "AWSTemplateFormatVersion": "2010-09-09",
            "Resources": {
                "A": {
                    "Type": "AWS::ECS::TaskDefinition",
                    "Properties": {
                        "Cpu": "1024",
                        "Empty": [],
                        "EmptyMap": {},
                        "Nested": [[1, 2], [], {"K": "v", "L": [true, null]}],
                        "Containers": [{"Name": "agent", "Environment": [{"Name": "X", "Value": "yes"}]}],
                        "Sub": {"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}"}
                    }
                }
            }
        });
        let written = to_yaml_string(&template);
        assert_eq!(parse_template(&written).unwrap(), template, "{written}");
    }

    #[test]
    fn json_surrogate_pairs_are_the_character_and_a_lone_one_is_refused_by_place() {
        let read = |text: &str| parse_template(text);
        // As Python's json.dumps writes 🚀 and 😀, upper or lower case; `\\ud83d` is text.
        let text = r#"{"A": "\ud83d\ude80 \uD83D\uDE00 \\ud83d", "B": "\ud83d\ude80"}"#;
        assert_eq!(
            read(text).unwrap(),
            json!({"A": "\u{1F680} \u{1F600} \\ud83d", "B": "\u{1F680}"})
        );
        // A byte order mark does not hide that the text is JSON.
        assert_eq!(
            read("\u{feff}{\"A\": \"\\ud83d\\ude80\"}").unwrap(),
            json!({"A": "\u{1F680}"})
        );
        // The column is the one written, though the pairs before it on the line were read.
        let lone = r#"{"A": "\ud83d\ude80\ud83d\ude80 \ude80"}"#;
        let error = read(lone).unwrap_err().to_string();
        let column = lone.rfind("\\ude80").unwrap() + 3;
        assert!(
            error.contains(&format!(
                "at line 1 column {column}; a \\u escape of a UTF-16 surrogate"
            )),
            "{error}"
        );
        // In YAML a \u escape is one code point: the pair is refused, with the form that works.
        let error = read("A: \"\\ud83d\\ude80\"\n").unwrap_err().to_string();
        assert!(
            error.starts_with("the template is not valid YAML: ")
                && error.contains("line 1 ")
                && error.ends_with("(\\U0001F680)"),
            "{error}"
        );
    }
}
