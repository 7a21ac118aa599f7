//! The command line: `expand` a template on a laptop or in CI, `invoke` the Lambda's code
//! path with a request event.

use std::io::{BufWriter, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use serde_json::{Map, Value};

use crate::expand::expand_with_summary;
use crate::expand::language_extensions::{LANGUAGE_EXTENSIONS, apply_language_extensions};
use crate::shells::macro_io::{MacroStatus, read_event, respond_to_event};
use crate::template::context::ExpansionContext;
use crate::template::problems::{Problems, nearest};
use crate::template::scope::TemplateScope;
use crate::template::yaml::{parse_template, to_yaml_string};

/// The macro's default name, as template.yaml deploys it: the first release's deploy name,
/// which the stacks written for it use.
pub const DEFAULT_TRANSFORM_NAME: &str = "Buildkite-Agents-2020-03-09";

/// The names `expand` drops from `Transform` unless `--transform-name` says otherwise: the
/// first release deployed as `-2020-03-09`, and its README's examples said `-2020-03-21`.
pub const KNOWN_TRANSFORM_NAMES: [&str; 2] =
    [DEFAULT_TRANSFORM_NAME, "Buildkite-Agents-2020-03-21"];

#[derive(Debug, Parser)]
#[command(
    name = "buildkite-ecs-macro",
    version,
    about = "Expands Buildkite::ECS::TaskDefinition resources into Fargate task definitions, offline or as a CloudFormation macro",
    after_help = "Exit status: 0 success; 1 a template that cannot be read or whose expansion has problems (the reason on standard error; for invoke, a failure response); 2 bad usage, or for invoke an event that cannot be read (not JSON, or not a macro request).\n\nRun with no arguments where AWS_LAMBDA_RUNTIME_API is set, it is the Lambda function."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// What `invoke --help` says of its event.
const INVOKE_HELP: &str = "\
The event is what CloudFormation sends the macro's function: a JSON object with region,
accountId, fragment (the whole template as JSON, without its Transform section) and
requestId; transformId, params and templateParameterValues may be left out. A missing
field is reported with every other missing field. The smallest event:

  {
    \"region\": \"us-east-1\",
    \"accountId\": \"123456789012\",
    \"requestId\": \"local-1\",
    \"transformId\": \"123456789012::Buildkite-Agents-2020-03-09\",
    \"params\": {},
    \"templateParameterValues\": {},
    \"fragment\": {
      \"Resources\": {
        \"Ruby\": {
          \"Type\": \"Buildkite::ECS::TaskDefinition\",
          \"Properties\": {\"Image\": \"ruby:3.3\"}
        }
      }
    }
  }

Standard output: the response, always (status success with the fragment, or failure with
errorMessage). Standard error: only, for an event that is not JSON, where the JSON breaks.
Exit status: 0 success; 1 failure (a problem with the template); 2 an event that cannot be
read (not JSON, not an object, a field missing or of the wrong type).";

/// What `expand --help` says after its options.
const EXPAND_HELP: &str = "\
Standard output: the expanded template. Standard error: only the reason for a failure (every
problem in the template, each naming its place; never a parameter's value); expand writes no
warnings. Exit status: 0 success; 1 a template that cannot be read or whose expansion has
problems; 2 bad usage (an unknown option, or --parameter for a parameter the template does not
declare).";

#[derive(Debug, Subcommand)]
enum Command {
    /// Expand a template (YAML with short-form tags, or JSON) as the macro would
    #[command(after_help = EXPAND_HELP)]
    Expand {
        /// The template file; standard input when absent or `-`
        template: Option<PathBuf>,
        /// A template parameter's value, for checks and decisions (repeatable)
        #[arg(long = "parameter", value_name = "KEY=VALUE", value_parser = parse_parameter)]
        parameters: Vec<(String, String)>,
        /// The region the stack would be deployed in
        #[arg(long, default_value = "us-east-1")]
        region: String,
        /// The account the stack would be deployed in
        #[arg(long, default_value = "123456789012")]
        account_id: String,
        /// Output format; default: the input's
        #[arg(long, value_enum)]
        format: Option<Format>,
        /// The macro's name in the template's Transform, which is dropped (repeatable); given,
        /// it replaces the default names, Buildkite-Agents-2020-03-09 and Buildkite-Agents-2020-03-21
        #[arg(long = "transform-name", value_name = "NAME")]
        transform_names: Vec<String>,
        /// Expand even when the template's Transform does not name the macro (CloudFormation
        /// would never call it on such a template)
        #[arg(long)]
        no_transform_check: bool,
        /// Print, instead of the expansion, what each role given by ExecutionRoleArn or
        /// TaskRoleArn must allow for the properties used (the grants the macro would generate)
        #[arg(long)]
        explain_roles: bool,
    },
    /// Answer a macro request event (JSON) with the macro response, as the Lambda does
    #[command(after_help = INVOKE_HELP)]
    Invoke {
        /// The event file; standard input when absent or `-`
        event: Option<PathBuf>,
    },
    /// Print the JSON Schema of the resource's Properties and of Globals.TaskDefinition
    #[command(
        after_help = "The committed copies are schema/task-definition.schema.json (this) and schema/template.schema.json (--template). Exit status: 0."
    )]
    Schema {
        /// Print instead the schema of a whole CloudFormation template, for an editor's YAML
        /// language server: it checks Buildkite resources and Globals.TaskDefinition only
        #[arg(long)]
        template: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Yaml,
    Json,
}

fn parse_parameter(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
        _ => Err("expected KEY=VALUE".to_owned()),
    }
}

/// Exit codes: 0 success, 1 a failure of the template, 2 bad usage or unreadable input.
const FAILURE: u8 = 1;
const UNUSABLE: u8 = 2;

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Expand {
            template,
            parameters,
            region,
            account_id,
            format,
            transform_names,
            no_transform_check,
            explain_roles,
        } => {
            let context = ExpansionContext {
                region,
                account_id,
                parameter_values: parameters
                    .into_iter()
                    .map(|(k, v)| (k, Value::String(v)))
                    .collect(),
                language_extensions_after: None,
            };
            let transform_names: Vec<&str> = if transform_names.is_empty() {
                KNOWN_TRANSFORM_NAMES.to_vec()
            } else {
                transform_names.iter().map(String::as_str).collect()
            };
            expand_command(
                template,
                context,
                format,
                &transform_names,
                !no_transform_check,
                explain_roles,
            )
        }
        Command::Invoke { event } => invoke_command(event),
        Command::Schema { template } => print(&crate::properties::schema::to_text(&if template {
            crate::properties::schema::template_schema()
        } else {
            crate::properties::schema::resource_schema()
        })),
    }
}

fn read_input(path: Option<PathBuf>) -> Result<String, String> {
    let mut text = String::new();
    match path {
        Some(path) if path.as_os_str() != "-" => {
            return std::fs::read_to_string(&path)
                .map_err(|error| format!("cannot read {}: {error}", path.display()));
        }
        _ => std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|error| format!("cannot read standard input: {error}"))?,
    };
    Ok(text)
}

fn fail(code: u8, message: &str) -> ExitCode {
    eprintln!("{message}");
    ExitCode::from(code)
}

fn print(text: &str) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail(FAILURE, &format!("cannot write the output: {error}")),
    }
}

/// Writes `value` as pretty JSON and a newline straight to standard output, through one buffer
/// (standard output alone flushes at every line), without building the text first.
fn print_pretty_json(value: &impl serde::Serialize) -> ExitCode {
    let mut stdout = BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
    let written = serde_json::to_writer_pretty(&mut stdout, value)
        .map_err(std::io::Error::from)
        .and_then(|()| stdout.write_all(b"\n"))
        .and_then(|()| stdout.flush());
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail(FAILURE, &format!("cannot write the output: {error}")),
    }
}

/// Ends a command's use of `tree` without freeing it: the process exits next, and freeing a
/// tree of the largest template's size costs about an eighth of the process's instructions.
/// Only for the command line; the Lambda answers many requests per process and frees each.
fn leave_for_exit<T>(tree: T) {
    std::mem::forget(tree);
}

fn expand_command(
    template: Option<PathBuf>,
    mut context: ExpansionContext,
    format: Option<Format>,
    transform_names: &[&str],
    check_transform: bool,
    explain_roles: bool,
) -> ExitCode {
    let text = match read_input(template) {
        Ok(text) => text,
        Err(why) => return fail(FAILURE, &why),
    };
    let mut template = match parse_template(&text) {
        Ok(template) => template,
        Err(error) => return fail(FAILURE, &format!("cannot read the template: {error}")),
    };
    if let Some(why) = undeclared_parameters(&context, &template) {
        return fail(UNUSABLE, &why);
    }
    if let Value::Object(root) = &template
        && check_transform
        && let Some(problem) = transform_problem(root, transform_names)
    {
        let mut problems = Problems::new();
        problems.push("Transform", problem);
        return fail(FAILURE, &problems.to_string());
    }
    if let Value::Object(root) = &mut template
        && let Err(problems) = prepare_for_expand(root, transform_names, &mut context)
    {
        return fail(FAILURE, &problems.to_string());
    }
    let format = format.unwrap_or(
        if text
            .trim_start_matches('\u{feff}')
            .trim_start()
            .starts_with('{')
        {
            Format::Json
        } else {
            Format::Yaml
        },
    );
    let expanded = if explain_roles {
        crate::shells::explain::explain_own_roles(&template, &context)
    } else {
        // The notes go to standard error, so the template on standard output stays whole.
        expand_with_summary(template, &context).map(|(expanded, _)| {
            for note in &expanded.notes {
                eprintln!("note: {note}");
            }
            expanded.to_value()
        })
    };
    leave_for_exit(text);
    match expanded {
        Ok(expanded) => {
            let printed = match format {
                Format::Json => print_pretty_json(&expanded),
                Format::Yaml => print(&to_yaml_string(&expanded)),
            };
            leave_for_exit(expanded);
            printed
        }
        Err(problems) => fail(FAILURE, &problems.to_string()),
    }
}

/// What `expand` does to a whole template before the macro's own expansion, as CloudFormation
/// would have done before calling the macro: the Transform list read (what runs after the
/// macro), and this macro's entry dropped. What only CloudFormation can run first (an
/// `AWS::Include` in a Buildkite resource) is refused by place.
pub fn prepare_for_expand(
    root: &mut Map<String, Value>,
    transform_names: &[&str],
    context: &mut ExpansionContext,
) -> Result<(), Problems> {
    let mut problems = Problems::new();
    crate::expand::composition::transforms_in_buildkite_resources(root, &mut problems);
    context.language_extensions_after = Some(language_extensions_after(root, transform_names));
    if language_extensions_before(root, transform_names) {
        let parameters = root.get("Parameters").and_then(Value::as_object).cloned();
        let no_resources = Map::new();
        let scope = TemplateScope::new(context, parameters.as_ref(), &no_resources);
        apply_language_extensions(root, &scope, &mut problems);
        // It has run: what CloudFormation hands the macro no longer lists it.
        drop_own_transform(root, &[LANGUAGE_EXTENSIONS]);
    }
    drop_own_transform(root, transform_names);
    problems.into_result(())
}

/// Whether `AWS::LanguageExtensions` comes before this macro in the template's `Transform`, and
/// so has run when CloudFormation calls the macro.
fn language_extensions_before(root: &Map<String, Value>, transform_names: &[&str]) -> bool {
    let transforms = transforms(root);
    transforms
        .iter()
        .position(|name| transform_names.contains(name))
        .is_some_and(|own| transforms[..own].contains(&LANGUAGE_EXTENSIONS))
}

/// The transforms of the template's `Transform`, in order: a name or a list of names.
fn transforms(root: &Map<String, Value>) -> Vec<&str> {
    match root.get("Transform") {
        Some(Value::String(name)) => vec![name.as_str()],
        Some(Value::Array(names)) => names.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Why the template's `Transform` would never call the macro (under any of `transform_names`):
/// CloudFormation would deploy its Buildkite resources unexpanded, or refuse them.
pub fn transform_problem(root: &Map<String, Value>, transform_names: &[&str]) -> Option<String> {
    let transforms = transforms(root);
    if let Some(own) = transforms
        .iter()
        .position(|name| transform_names.contains(name))
    {
        const SAM: &str = "AWS::Serverless-2016-10-31";
        let has_globals = root
            .get("Globals")
            .and_then(|globals| globals.get("TaskDefinition"))
            .is_some();
        return (has_globals && transforms[..own].contains(&SAM)).then(|| {
            format!(
                "{SAM} runs before {} and refuses Globals.TaskDefinition ('TaskDefinition' is not supported): list {} first",
                transforms[own], transforms[own]
            )
        });
    }
    let names = transform_names.join(" or ");
    let anyway = "or pass --no-transform-check to expand it anyway";
    let near_miss = transforms
        .iter()
        .find_map(|name| Some((name, nearest(name, transform_names)?)));
    Some(match (root.get("Transform"), near_miss) {
        (None, _) => format!(
            "the template has none, so CloudFormation would never call the macro: add `Transform: {}` (or, for a macro deployed under another name, pass --transform-name NAME), {anyway}",
            transform_names[0]
        ),
        (Some(_), Some((written, meant))) => format!(
            "{written} does not name the macro ({names}), so CloudFormation would never call it; did you mean {meant}? Or pass --transform-name {written} if you deployed it under that name, {anyway}"
        ),
        (Some(_), None) => format!(
            "does not name the macro ({names}), so CloudFormation would never call it: add {} to it (or, for a macro deployed under another name, pass --transform-name NAME), {anyway}",
            transform_names[0]
        ),
    })
}

/// Whether `AWS::LanguageExtensions` comes after this macro (under any of `transform_names`)
/// in the template's `Transform`, and so resolves what the macro leaves to it.
pub fn language_extensions_after(root: &Map<String, Value>, transform_names: &[&str]) -> bool {
    let transforms = transforms(root);
    transforms
        .iter()
        .position(|name| transform_names.contains(name))
        .is_some_and(|own| transforms[own..].contains(&"AWS::LanguageExtensions"))
}

/// Why the `--parameter` names the template does not declare are bad usage, one line each with
/// the nearest declared name; never a value.
fn undeclared_parameters(context: &ExpansionContext, template: &Value) -> Option<String> {
    let declared: Vec<&str> = template
        .get("Parameters")
        .and_then(Value::as_object)
        .map(|parameters| parameters.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let lines: Vec<String> = context
        .parameter_values
        .keys()
        .filter(|name| !declared.contains(&name.as_str()))
        .map(|name| {
            let hint = match crate::template::problems::nearest(name, &declared) {
                Some(nearest) => format!("; did you mean {nearest}?"),
                None if declared.is_empty() => "; it declares no parameters".to_owned(),
                None => format!("; it declares {}", declared.join(", ")),
            };
            format!("--parameter {name}: the template declares no such parameter{hint}")
        })
        .collect();
    (!lines.is_empty()).then(|| lines.join("\n"))
}

/// Removes this macro, under any of `transform_names`, from the template's `Transform`, as
/// CloudFormation does before calling it; other transforms stay in order.
pub fn drop_own_transform(root: &mut Map<String, Value>, transform_names: &[&str]) {
    let is_own = |transform: &Value| {
        transform
            .as_str()
            .is_some_and(|name| transform_names.contains(&name))
    };
    match root.get_mut("Transform") {
        Some(transform) if is_own(transform) => {
            root.shift_remove("Transform");
        }
        Some(Value::Array(transforms)) => {
            transforms.retain(|transform| !is_own(transform));
            if transforms.is_empty() {
                root.shift_remove("Transform");
            }
        }
        _ => {}
    }
}

fn invoke_command(event: Option<PathBuf>) -> ExitCode {
    let text = match read_input(event) {
        Ok(text) => text,
        Err(why) => return fail(UNUSABLE, &why),
    };
    // The Lambda's own path from the event's text, so a too-deep event is answered the same.
    let (response, summary) = match read_event(&text) {
        Ok(event) => {
            // Not held beside its tree while it is expanded: 5 MB for the largest event.
            drop(text);
            respond_to_event(event)
        }
        Err(unreadable) => {
            if let Err(error) = serde_json::from_str::<serde::de::IgnoredAny>(&text) {
                // Where it went wrong, for a person at a terminal; the response cannot say.
                eprintln!("the event is not JSON: {error}");
            }
            unreadable.answer()
        }
    };
    let printed = print_pretty_json(&response);
    let status = response.status;
    leave_for_exit(response);
    if printed != ExitCode::SUCCESS {
        return printed;
    }
    match (status, summary.request_read) {
        (MacroStatus::Success, _) => ExitCode::SUCCESS,
        (MacroStatus::Failure, true) => ExitCode::from(FAILURE),
        (MacroStatus::Failure, false) => ExitCode::from(UNUSABLE),
    }
}
