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
        files: ["**/*.js", "**/*.mjs"],
        languageOptions: { globals: { require: "readonly", module: "writable", process: "readonly", __dirname: "readonly" } },
        rules: { "@typescript-eslint/no-require-imports": "off" },
    },
    {
        // The chat page's script runs in the browser.
        files: ["app/public/**/*.js"],
        languageOptions: { sourceType: "script", globals: { window: "readonly", document: "readonly", fetch: "readonly", FormData: "readonly" } },
    },
);
