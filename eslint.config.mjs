// Lint: ESLint's and typescript-eslint's recommended rules, plus Pulumi's rules that catch an Output
// interpolated into a plain template string (it would render as "Calling [toString] on an [Output<T>]...").
import js from "@eslint/js";
import pulumi from "@pulumi/eslint-plugin";
import tseslint from "typescript-eslint";

export default tseslint.config(
    // e2e/fixtures are separate Pulumi programs (own Pulumi.yaml), type-checked when the e2e test runs them.
    { ignores: ["node_modules/", "**/node_modules/", "bin/", "policy/bin/", "rendered/", ".pulumi-state/", "e2e/fixtures/", "app/dist/"] },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    {
        files: ["**/*.ts"],
        languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
        plugins: { pulumi },
        rules: {
            "pulumi/no-output-in-template-literal": "error",
            "pulumi/no-output-instance-in-template-literal": "error",
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
        },
    },
    {
        // Policies, tests and scripts read raw Kubernetes props of any program: untyped JSON by nature.
        files: ["policy/**/*.ts", "test/**/*.ts", "scripts/**/*.ts", "e2e/**/*.ts", "app/test/**/*.ts", "app/bench/**/*.ts"],
        rules: { "@typescript-eslint/no-explicit-any": "off", "@typescript-eslint/no-require-imports": "off" },
    },
    {
        // Node scripts (e2e/ha/load.js runs in a pod): CommonJS and the runtime's globals.
        files: ["**/*.js", "**/*.mjs"],
        languageOptions: {
            globals: {
                require: "readonly",
                module: "writable",
                process: "readonly",
                __dirname: "readonly",
                console: "readonly",
                fetch: "readonly",
                AbortSignal: "readonly",
                URL: "readonly",
                Buffer: "readonly",
                setTimeout: "readonly",
                setInterval: "readonly",
                clearInterval: "readonly",
            },
        },
        rules: { "@typescript-eslint/no-require-imports": "off" },
    },
    {
        // The HA test's load generator runs in a pod under Node.js 22.
        files: ["e2e/ha/load.js"],
        languageOptions: {
            sourceType: "script",
            globals: {
                console: "readonly",
                fetch: "readonly",
                AbortSignal: "readonly",
                setInterval: "readonly",
                setTimeout: "readonly",
                clearInterval: "readonly",
            },
        },
    },
    {
        // The chat page's script runs in the browser.
        files: ["app/public/**/*.js"],
        languageOptions: { sourceType: "script", globals: { window: "readonly", document: "readonly", fetch: "readonly", FormData: "readonly" } },
    },
);
