/** Reading Prometheus text and alert rules in tests: the series a scrape holds, the series a rule's expression names. */

/** The series names in a scrape (text format): each sample line's name, without labels or value. */
export function seriesInScrape(text: string): Set<string> {
    return new Set(text.split("\n").filter((line) => line && !line.startsWith("#")).map((line) => line.replace(/[{ ].*$/, "")));
}

/** The server's series an expression names: every `vault_...` identifier (label names never start so). */
export function vaultSeriesIn(expression: string): string[] {
    return [...new Set(expression.match(/\bvault_[a-zA-Z0-9_:]*/g) ?? [])];
}
