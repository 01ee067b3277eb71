// Kubernetes resource quantities ("500m", "1.5", "512Mi", "10Gi", "1e3") parsed to plain numbers, so that
// limits can be compared with requests. Shared by the program (components/) and the policy pack (policy/):
// neither imports the other's internals. Both tsconfigs include lib/.

const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

const SUFFIX: Record<string, number> = {
    n: 1e-9,
    u: 1e-6,
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    P: 1e15,
    E: 1e18,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    Pi: 2 ** 50,
    Ei: 2 ** 60,
};

/** The quantity's value in base units (cores or bytes), or undefined when it is not a valid quantity. */
export function parseQuantity(quantity: string | number): number | undefined {
    if (typeof quantity === "number") {
        return Number.isFinite(quantity) ? quantity : undefined;
    }
    const match = QUANTITY.exec(quantity.trim());
    if (!match) {
        return undefined;
    }
    const [, digits, suffix] = match;
    const base = Number(digits);
    if (suffix === undefined) {
        return base;
    }
    if (suffix[0] === "e" || suffix[0] === "E") {
        return base * 10 ** Number(suffix.slice(1));
    }
    return base * SUFFIX[suffix];
}
