// What the API server refuses, checked at config time. Each function stands in for one rule of
// k8s.io/apimachinery/pkg/util/validation (validation.go) or of the CronJob schedule parser the API server
// uses (github.com/robfig/cron/v3 ParseStandard, called by pkg/apis/batch/validation); the comments name them.

/** DNS1123LabelMaxLength. */
export const DNS1123_LABEL_MAX = 63;
/** DNS1123SubdomainMaxLength. */
export const DNS1123_SUBDOMAIN_MAX = 253;
/** LabelValueMaxLength, and the name part of a qualified name (qualifiedNameMaxLength). */
export const QUALIFIED_NAME_MAX = 63;

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/; // dns1123LabelFmt
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/; // dns1123SubdomainFmt
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/; // qualifiedNameFmt

/** IsDNS1123Label: namespaces, Service names and most object names of this platform. */
export function isDns1123Label(v: unknown): v is string {
    return typeof v === "string" && v.length <= DNS1123_LABEL_MAX && DNS1123_LABEL.test(v);
}

/** IsDNS1123Subdomain: Secret, StorageClass, IngressClass and ClusterIssuer names, host names. */
export function isDns1123Subdomain(v: unknown): v is string {
    return typeof v === "string" && v.length <= DNS1123_SUBDOMAIN_MAX && DNS1123_SUBDOMAIN.test(v);
}

/** IsQualifiedName: label and annotation keys, `[prefix/]name`, prefix a DNS-1123 subdomain, name at most 63. */
export function isQualifiedName(v: unknown): v is string {
    if (typeof v !== "string") {
        return false;
    }
    const parts = v.split("/");
    if (parts.length > 2) {
        return false;
    }
    const name = parts[parts.length - 1];
    if (parts.length === 2 && (parts[0].length === 0 || !isDns1123Subdomain(parts[0]))) {
        return false;
    }
    return name.length > 0 && name.length <= QUALIFIED_NAME_MAX && QUALIFIED_NAME.test(name);
}

/** IsValidLabelValue: empty, or at most 63 characters of the qualified-name form. */
export function isValidLabelValue(v: unknown): v is string {
    return typeof v === "string" && (v === "" || (v.length <= QUALIFIED_NAME_MAX && QUALIFIED_NAME.test(v)));
}

/** robfig/cron/v3 spec.go `bounds`: the fields of a standard (5-field) schedule, with their names. */
const CRON_FIELDS: { name: string; min: number; max: number; names?: readonly string[] }[] = [
    { name: "minute", min: 0, max: 59 },
    { name: "hour", min: 0, max: 23 },
    { name: "day of month", min: 1, max: 31 },
    { name: "month", min: 1, max: 12, names: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"] },
    // 0-6 only: the parser the API server uses has no 7 for Sunday (unlike some crontabs).
    { name: "day of week", min: 0, max: 6, names: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] },
];
/** robfig/cron/v3 parser.go parseDescriptor (without @every, which a CronJob's standard parser also takes but few mean). */
const CRON_DESCRIPTORS = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"];

/**
 * Why a CronJob schedule would be refused, or undefined when it is valid: five fields, each a list of
 * `*`, `?`, `N`, `N-M`, with an optional `/step` (robfig/cron/v3 parser.go getRange); numbers within the
 * field's range, month and weekday names case-insensitive; no TZ/CRON_TZ prefix (the API server refuses
 * it: use spec.timeZone).
 */
export function cronProblem(schedule: unknown): string | undefined {
    if (typeof schedule !== "string" || schedule.trim() === "") {
        return "is empty";
    }
    const s = schedule.trim();
    if (/^(CRON_)?TZ=/.test(s)) {
        return "has a time-zone prefix, which the API server refuses";
    }
    if (s.startsWith("@")) {
        return CRON_DESCRIPTORS.includes(s) ? undefined : `has an unknown descriptor (known: ${CRON_DESCRIPTORS.join(", ")})`;
    }
    const fields = s.split(/\s+/);
    if (fields.length !== 5) {
        return `has ${fields.length} fields, not 5 (minute hour day-of-month month day-of-week)`;
    }
    for (const [i, field] of fields.entries()) {
        const f = CRON_FIELDS[i];
        const value = (t: string): number | undefined => {
            if (/^\d+$/.test(t)) {
                return Number(t);
            }
            const i = f.names?.indexOf(t.toLowerCase()) ?? -1;
            return i < 0 ? undefined : i + f.min;
        };
        for (const part of field.split(",")) {
            const m = /^([^/]+)(?:\/(\d+))?$/.exec(part);
            if (!m) {
                return `${f.name} "${part}" is not *, N, N-M or one of those with /step`;
            }
            if (m[2] !== undefined && Number(m[2]) === 0) {
                return `${f.name} "${part}" has a step of 0`;
            }
            if (m[1] === "*" || m[1] === "?") {
                continue;
            }
            const range = m[1].split("-");
            const ends = range.map(value);
            if (range.length > 2 || ends.some((e) => e === undefined)) {
                return `${f.name} "${part}" is not a number${f.names ? " or name" : ""} or a range of them`;
            }
            const [start, end = start] = ends as number[];
            if (start < f.min || end > f.max) {
                return `${f.name} "${part}" is outside ${f.min}-${f.max}`;
            }
            if (start > end) {
                return `${f.name} "${part}" starts after it ends`;
            }
        }
    }
    return undefined;
}
