// schema/template.schema.json in the YAML language server that VS Code's YAML extension,
// JetBrains' LSP clients and Neovim's yamlls run (mk/schema.mk), with the settings the README
// tells users to add: every example has no diagnostic; each broken fixture of ours has one
// (but those the schema cannot tell apart from a short-form tag); another resource type is
// left alone; a Buildkite resource's property names complete.
import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const require = createRequire(import.meta.url);
const { getLanguageService } = require("yaml-language-server");
const { TextDocument } = require("vscode-languageserver-textdocument");

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const schemaPath = join(root, "schema", "template.schema.json");
const schema = JSON.parse(readFileSync(schemaPath, "utf8"));

// The README's settings block, as a user copies it.
const readme = readFileSync(join(root, "README.md"), "utf8");
const block = [...readme.matchAll(/```json\n([\s\S]*?)```/g)]
  .map((match) => match[1])
  .find((text) => text.includes("yaml.customTags"));
const settings = JSON.parse(block);
const schemaKey = Object.keys(settings["yaml.schemas"])[0];

const results = [];
const check = (ok, what) => {
  results.push(ok);
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
};

const written = schemaKey.replace(/^\.\//, "");
check(
  readme.includes(`buildkite-ecs-macro schema --template > ${written}`),
  `README writes the schema its yaml.schemas names (${schemaKey})`,
);

const service = getLanguageService({
  schemaRequestService: async () => JSON.stringify(schema),
  workspaceContext: { resolveRelativePath: (relative) => relative },
});
service.configure({
  validate: true,
  completion: true,
  customTags: settings["yaml.customTags"],
  schemas: [{ uri: pathToFileURL(schemaPath).href, fileMatch: ["*.yaml"], schema }],
});

let version = 0;
const open = (name, text) =>
  TextDocument.create(pathToFileURL(join(root, name)).href, "yaml", ++version, text);
const diagnose = async (name, text) => {
  const diagnostics = await service.doValidation(open(name, text), false);
  return diagnostics.map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
};

for (const file of readdirSync(join(root, "examples")).filter((f) => f.endsWith(".yaml")).sort()) {
  const found = await diagnose(file, readFileSync(join(root, "examples", file), "utf8"));
  check(found.length === 0, `examples/${file}: ${found.join("; ") || "no diagnostic"}`);
}

// What a language server cannot flag: `CpuArchitecture: !Ref arm64` reaches it as "arm64".
const cannotTell = new Set(["E9101--architecture-not-offered.yaml"]);
const broken = join(root, "tests", "schema", "broken");
for (const file of readdirSync(broken).filter((f) => f.startsWith("E91")).sort()) {
  const found = await diagnose(file, readFileSync(join(broken, file), "utf8"));
  if (cannotTell.has(file)) {
    check(found.length === 0, `broken/${file}: no diagnostic, as a short-form tag may stand there`);
  } else {
    check(found.length > 0, `broken/${file}: ${found.join("; ")}`);
  }
}

const misspelt = await diagnose(
  "misspelt.yaml",
  readFileSync(join(broken, "E9101--misspelled-property.yaml"), "utf8"),
);
check(
  misspelt.includes("line 8: Property TaskMemroy is not allowed."),
  `the misspelt property is underlined where it is written: ${misspelt.join("; ")}`,
);

const others = await diagnose(
  "others.yaml",
  "Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n    Properties:\n      AnythingAtAll: !Ref X\n" +
    "  Ruby:\n    Type: Buildkite::ECS::TaskDefinition\n    Properties:\n      Image: ruby:3.3\n" +
    "      TaskCpu: !Ref Cpu\n      Environment: !If [Debug, [{Name: DEBUG, Value: '1'}], []]\n",
);
check(others.length === 0, `another resource type and short-form tags pass: ${others.join("; ") || "no diagnostic"}`);

const text =
  "Resources:\n  Ruby:\n    Type: Buildkite::ECS::TaskDefinition\n    Properties:\n      Image: ruby:3.3\n      Task";
const completion = await service.doComplete(open("complete.yaml", text), { line: 5, character: 10 }, false);
const labels = completion.items.map((item) => item.label);
check(
  ["TaskCpu", "TaskMemory", "TaskFamily"].every((name) => labels.includes(name)),
  `property names complete: ${labels.filter((label) => label.startsWith("Task")).join(", ")}`,
);

const failed = results.filter((ok) => !ok).length;
console.log(`${results.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
