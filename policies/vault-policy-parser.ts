/**
 * Reads a Vault policy document into its path rules (`parsePolicyPaths`): a small HCL 1 tokenizer and parser for
 * `path "x" { capabilities = [...] }` blocks (both block forms, comments, string escapes) and the JSON form. It only
 * reads; what a rule may grant is decided in vault-policy-rules.ts.
 */

/** One `path "..." { capabilities = [...] }` block of a Vault policy. */
export interface PolicyPathRule {
    path: string;
    capabilities: string[];
}

interface HclToken {
    kind: "string" | "word" | "punct";
    text: string;
}

const HCL_ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r", '"': '"', "\\": "\\" };

/** Tokens of an HCL 1 document: strings (unescaped), bare words and single punctuation; comments dropped. */
function tokenizeHcl(text: string): HclToken[] {
    const tokens: HclToken[] = [];
    let i = 0;
    while (i < text.length) {
        const char = text[i];
        if (/\s/.test(char)) {
            i++;
        } else if (char === "#" || text.startsWith("//", i)) {
            const end = text.indexOf("\n", i);
            i = end < 0 ? text.length : end;
        } else if (text.startsWith("/*", i)) {
            const end = text.indexOf("*/", i + 2);
            if (end < 0) throw new Error("unterminated /* comment");
            i = end + 2;
        } else if (char === '"') {
            let value = "";
            for (i++; i < text.length && text[i] !== '"'; i++) {
                if (text[i] === "\n") throw new Error("unterminated string");
                if (text[i] !== "\\") {
                    value += text[i];
                } else if (text[i + 1] === "u" && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
                    value += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
                    i += 5;
                } else {
                    value += HCL_ESCAPES[text[i + 1]] ?? text[i + 1] ?? "";
                    i++;
                }
            }
            if (i >= text.length) throw new Error("unterminated string");
            tokens.push({ kind: "string", text: value });
            i++;
        } else if (/[A-Za-z0-9_.-]/.test(char)) {
            const word = /^[A-Za-z0-9_.-]+/.exec(text.slice(i))![0];
            tokens.push({ kind: "word", text: word });
            i += word.length;
        } else {
            tokens.push({ kind: "punct", text: char });
            i++;
        }
    }
    return tokens;
}

/** Reads `{ ... }` starting at tokens[start] (which must be `{`); returns the tokens inside and the index after `}`. */
function hclBlock(tokens: HclToken[], start: number): { body: HclToken[]; next: number } {
    if (tokens[start]?.text !== "{" || tokens[start].kind !== "punct") throw new Error(`expected "{" after a path`);
    let depth = 0;
    for (let i = start; i < tokens.length; i++) {
        if (tokens[i].kind !== "punct") continue;
        if (tokens[i].text === "{") depth++;
        if (tokens[i].text === "}" && --depth === 0) return { body: tokens.slice(start + 1, i), next: i + 1 };
    }
    throw new Error("unbalanced braces");
}

/** The `capabilities = [...]` list at the top level of a path block (nested blocks such as allowed_parameters skipped). */
function hclCapabilities(body: HclToken[]): string[] {
    const capabilities: string[] = [];
    let depth = 0;
    for (let i = 0; i < body.length; i++) {
        const token = body[i];
        if (token.kind === "punct" && (token.text === "{" || token.text === "[")) depth++;
        if (token.kind === "punct" && (token.text === "}" || token.text === "]")) depth--;
        const isKey = depth === 0 && (token.kind === "word" || token.kind === "string") && token.text === "capabilities";
        if (isKey && body[i + 1]?.text === "=" && body[i + 2]?.text === "[") {
            for (i += 3; i < body.length && !(body[i].kind === "punct" && body[i].text === "]"); i++) {
                if (body[i].kind === "string" || body[i].kind === "word") capabilities.push(body[i].text.toLowerCase());
            }
        }
    }
    return capabilities;
}

function jsonPolicyPaths(text: string): PolicyPathRule[] {
    const document = JSON.parse(text) as { path?: Record<string, { capabilities?: unknown }> };
    return Object.entries(document.path ?? {}).map(([path, rule]) => ({
        path,
        capabilities: Array.isArray(rule?.capabilities) ? rule.capabilities.map((capability) => String(capability).toLowerCase()) : [],
    }));
}

/**
 * Reads the path rules of a Vault policy: HCL (`path "x" { capabilities = [...] }`, also `path = { "x" = {...} }`;
 * `#`, `//` and `/* *\/` comments) or JSON. Throws on anything else: a policy holds nothing but path rules, and a
 * guardrail that cannot read one must not pass it.
 */
export function parsePolicyPaths(policy: string): PolicyPathRule[] {
    if (policy.trim().startsWith("{")) return jsonPolicyPaths(policy);
    const tokens = tokenizeHcl(policy);
    const rules: PolicyPathRule[] = [];
    let i = 0;
    while (i < tokens.length) {
        if (tokens[i].kind !== "word" || tokens[i].text !== "path") {
            throw new Error(`unexpected ${JSON.stringify(tokens[i].text)} where a path block should start`);
        }
        i++;
        if (tokens[i]?.kind === "string") {
            // path "x" { ... }  or  path "x" = { ... }
            const path = tokens[i].text;
            i += tokens[i + 1]?.text === "=" ? 2 : 1;
            const { body, next } = hclBlock(tokens, i);
            rules.push({ path, capabilities: hclCapabilities(body) });
            i = next;
        } else {
            // path = { "x" = { ... } "y" = { ... } }
            if (tokens[i]?.text === "=") i++;
            const { body, next } = hclBlock(tokens, i);
            for (let j = 0; j < body.length; ) {
                if (body[j].kind !== "string") throw new Error(`expected a quoted path, found ${JSON.stringify(body[j].text)}`);
                const path = body[j].text;
                j += body[j + 1]?.text === "=" ? 2 : 1;
                const inner = hclBlock(body, j);
                rules.push({ path, capabilities: hclCapabilities(inner.body) });
                j = inner.next;
                if (body[j]?.text === ",") j++;
            }
            i = next;
        }
    }
    return rules;
}
