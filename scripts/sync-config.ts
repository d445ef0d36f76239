/**
 * Writes Pulumi.yaml's `config:` section and the config table of docs/configuration.md from the one declaration of the
 * stack config keys (components/validate/config-keys.ts). Adding a key: one entry there, then `npm run sync-config`.
 * With `--check`, writes nothing and exits 1 when either file differs.
 */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { configTableMarkdown, pulumiYamlConfig } from "../components/validate";

const root = path.resolve(__dirname, "..");
/** Where the config table lives, relative to the repository root (its links are relative to docs/). */
const CONFIGURATION_DOC = "docs/configuration.md";

/** Pulumi.yaml with everything from its `config:` line on replaced by the table's keys. */
export function syncedPulumiYaml(text: string): string {
    const at = text.search(/^config:\s*$/m);
    if (at < 0) throw new Error("Pulumi.yaml has no top-level config: section");
    return `${text.slice(0, at)}${YAML.stringify({ config: pulumiYamlConfig() }, { lineWidth: 0 })}`;
}

/** docs/configuration.md with its config table (from the header row to the first blank line) replaced by the table's rows. */
export function syncedConfigurationDoc(text: string): string {
    const lines = text.split("\n");
    const [header] = configTableMarkdown();
    const start = lines.indexOf(header);
    if (start < 0) throw new Error(`${CONFIGURATION_DOC} has no config table (a line "${header}")`);
    const end = lines.indexOf("", start);
    return [...lines.slice(0, start), ...configTableMarkdown(), ...lines.slice(end)].join("\n");
}

function main(): void {
    const check = process.argv.includes("--check");
    let differs = false;
    for (const [file, sync] of [["Pulumi.yaml", syncedPulumiYaml], [CONFIGURATION_DOC, syncedConfigurationDoc]] as const) {
        const target = path.join(root, file);
        const current = fs.readFileSync(target, "utf8");
        const synced = sync(current);
        if (synced === current) continue;
        differs = true;
        if (check) console.error(`${file} differs from components/validate/config-keys.ts: run npm run sync-config`);
        else {
            fs.writeFileSync(target, synced);
            console.log(`wrote ${file}`);
        }
    }
    if (check && differs) process.exit(1);
}

if (require.main === module) main();
