// The node e2e's Pulumi steps on the Automation API (e2e/node/platform.sh calls it as `P`; the shell drives
// only the node: containerd, kubelet, images, kubectl). One subcommand per step, on the project copy in
// $E2E_PROG and stack $STACK (default dev); the CLI's own output is streamed, so logs read as before.
//   stack.ts init NAME [--copy-config-from STACK]      create NAME (passphrase secrets provider)
//   stack.ts config KEY VALUE [KEY VALUE...] [--path] [--plaintext]
//                                                       set values, all in one CLI call (each plain: --plaintext
//                                                       says so for a key the CLI would take for a secret)
//   stack.ts up [--policy-pack DIR] [--policy-pack-config FILE]
//   stack.ts destroy
//   stack.ts outputs                                    the stack's outputs as JSON, secrets shown
// Environment: PULUMI_HOME, PULUMI_BACKEND_URL, PULUMI_CONFIG_PASSPHRASE and PATH (the toolchain's CLI),
// as platform.sh exports them.
import { LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";

const USAGE =
    "usage: stack.ts init NAME [--copy-config-from STACK] | config KEY VALUE [KEY VALUE...] [--path] [--plaintext] | up [--policy-pack DIR] [--policy-pack-config FILE] | destroy | outputs";

function option(args: string[], name: string): string | undefined {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
}

async function workspace(): Promise<LocalWorkspace> {
    const workDir = process.env.E2E_PROG;
    if (!workDir) throw new Error("E2E_PROG is not set (run through e2e/node/platform.sh)");
    // The CLI on PATH (the toolchain's); its version is the SDK's by construction (scripts/toolchain.sh).
    const pulumiCommand = await PulumiCommand.get({ skipVersionCheck: true });
    return LocalWorkspace.create({ workDir, pulumiCommand, secretsProvider: "passphrase" });
}

const stream = { onOutput: (s: string) => process.stdout.write(s) };

async function main([command, ...args]: string[]): Promise<void> {
    const ws = await workspace();
    const name = process.env.STACK ?? "dev";
    const stack = () => Stack.select(name, ws);
    switch (command) {
        case "init": {
            const target = args[0];
            if (!target) throw new Error(USAGE);
            const from = option(args, "--copy-config-from");
            await Stack.create(target, ws);
            // as `pulumi stack init --copy-config-from`: the same settings (the passphrase salt too)
            if (from) await ws.saveStackSettings(target, await ws.stackSettings(from));
            console.log(`created stack ${target}${from ? ` (config copied from ${from})` : ""}`);
            return;
        }
        case "config": {
            // `pulumi config set-all`: one CLI call (and one node start) for every pair; the pairs in order
            const pairs = args.filter((a) => a !== "--path" && a !== "--plaintext");
            if (pairs.length === 0 || pairs.length % 2 !== 0) throw new Error(USAGE);
            const config: Record<string, { value: string; secret: boolean }> = {};
            for (let i = 0; i < pairs.length; i += 2) {
                if (pairs[i] in config) throw new Error(`stack.ts config: ${pairs[i]} given twice`);
                config[pairs[i]] = { value: pairs[i + 1], secret: false };
            }
            await (await stack()).setAllConfig(config, args.includes("--path"));
            return;
        }
        case "up": {
            const pack = option(args, "--policy-pack");
            const packConfig = option(args, "--policy-pack-config");
            const result = await (
                await stack()
            ).up({ ...stream, diff: false, ...(pack ? { policyPacks: [pack] } : {}), ...(packConfig ? { policyPackConfigs: [packConfig] } : {}) });
            console.log(`\nup: ${result.summary.result}; ${JSON.stringify(result.summary.resourceChanges ?? {})}`);
            return;
        }
        case "destroy": {
            const result = await (await stack()).destroy(stream);
            console.log(`\ndestroy: ${result.summary.result}`);
            return;
        }
        case "outputs": {
            const outputs = await (await stack()).outputs();
            process.stdout.write(`${JSON.stringify(Object.fromEntries(Object.entries(outputs).map(([k, o]) => [k, o.value])), null, 2)}\n`);
            return;
        }
        default:
            throw new Error(USAGE);
    }
}

main(process.argv.slice(2)).catch((err: Error) => {
    process.stderr.write(`e2e/stack.ts: ${err.message}\n`);
    process.exit(1);
});
