// The benchmark's corpus: technical documentation generated deterministically (a seeded PRNG), so that no
// data set is downloaded and every run indexes the same bytes. It is shaped like a documentation site:
// Markdown files of very different sizes (log-normal, median ~5 KB, 0.4-90 KB), headings, paragraphs, bullet
// lists and code lines; English function words (which the embedder drops) between content words drawn
// from a Zipf distribution, each document leaning on a topic vocabulary of its own so that retrieval has
// something to find.

/** Mulberry32: a small, fast, seeded PRNG (uniform in [0, 1)). */
export function prng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

const SYLLABLES = (
    "ba be bi bo bu ca ce ci co cu da de di do du fa fe fi fo ga ge go gu ka ke ki ko la le li lo lu ma me mi mo mu na ne ni no nu " +
    "pa pe pi po pu ra re ri ro ru sa se si so su ta te ti to tu va ve vi vo za ze zo ar er ir or ur an en in on un al el il ol " +
    "con fig stor plo ment tion ver ser lay clu net work pod vol ume rep lic sche dul cach ind ex quer ing ed er ly ize able"
).split(" ");
const SUFFIXES = ["", "", "", "s", "ed", "ing", "er", "ion", "ies", "ness"];
const FUNCTION_WORDS = (
    "the the the the of of of and and and to to a a in in is is for for that it on with as be by this are or from at can " +
    "when which if not each its their then into only also more should will must"
).split(" ");

function makeWord(rnd: () => number): string {
    const n = 1 + Math.floor(rnd() * 3);
    let w = "";
    for (let i = 0; i < n; i++) {
        w += SYLLABLES[Math.floor(rnd() * SYLLABLES.length)];
    }
    return w + SUFFIXES[Math.floor(rnd() * SUFFIXES.length)];
}

export interface CorpusDocument {
    /** A relative file path (the indexer's title is the base name without extension). */
    file: string;
    text: string;
}

/** Documents without end (the same ones for the same seed); sizes are log-normal around `medianBytes`. */
export function* documents(seed = 20_240_601, medianBytes = 5000): Generator<CorpusDocument> {
    const rnd = prng(seed);
    const vocabulary = Array.from({ length: 8000 }, () => makeWord(rnd));
    // Zipf(1.07) over the vocabulary by inverse transform on the cumulative weights.
    const cumulative: number[] = [];
    let total = 0;
    for (let r = 1; r <= vocabulary.length; r++) {
        total += 1 / r ** 1.07;
        cumulative.push(total);
    }
    const zipf = () => {
        const x = rnd() * total;
        let lo = 0;
        let hi = cumulative.length - 1;
        while (lo < hi) {
            const mid = (lo + hi) >> 1;
            if (cumulative[mid] < x) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return vocabulary[lo];
    };
    const gaussian = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
    for (let d = 0; ; d++) {
        const topic = Array.from({ length: 30 }, () => vocabulary[Math.floor(rnd() * vocabulary.length)]);
        const word = () => {
            const x = rnd();
            return x < 0.38 ? FUNCTION_WORDS[Math.floor(rnd() * FUNCTION_WORDS.length)] : x < 0.55 ? topic[Math.floor(rnd() * topic.length)] : zipf();
        };
        const sentence = () => {
            const ws = Array.from({ length: 6 + Math.floor(rnd() * 20) }, word);
            ws[0] = ws[0][0].toUpperCase() + ws[0].slice(1);
            return `${ws.join(" ")}${rnd() < 0.1 ? "?" : "."}`;
        };
        const target = Math.min(90_000, Math.max(400, Math.round(medianBytes * Math.exp(0.9 * gaussian()))));
        const title = `${topic[0]} ${topic[1]}`;
        const parts: string[] = [`# ${title[0].toUpperCase()}${title.slice(1)}`];
        let size = parts[0].length;
        while (size < target) {
            const kind = rnd();
            let block: string;
            if (kind < 0.12) {
                block = `## ${sentence().slice(0, -1)}`;
            } else if (kind < 0.24) {
                block = Array.from({ length: 2 + Math.floor(rnd() * 5) }, () => `- ${sentence()}`).join("\n");
            } else if (kind < 0.3) {
                block = [
                    "```",
                    ...Array.from({ length: 2 + Math.floor(rnd() * 6) }, () => `${topic[Math.floor(rnd() * 30)]} --${word()}=${Math.floor(rnd() * 1000)}`),
                    "```",
                ].join("\n");
            } else {
                block = Array.from({ length: 2 + Math.floor(rnd() * 5) }, sentence).join(" ");
            }
            parts.push(block);
            size += block.length + 2;
        }
        const name = `doc-${String(d).padStart(5, "0")}`;
        yield { file: `section-${String(Math.floor(d / 100)).padStart(2, "0")}/${name}.md`, text: parts.join("\n\n") };
    }
}
