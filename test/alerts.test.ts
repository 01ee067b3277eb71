import { strict as assert } from "assert";
import { promtoolTests } from "./alerts/promtool-cases";
import { renderRules, RenderedRules } from "./alerts/render";

// The promtool run itself (scripts/alerts-check.sh, in .ci/run) needs promtool built from Go; these
// checks make sure what it runs is complete.
describe("alert unit tests for promtool", () => {
    let prod: RenderedRules;
    before(async () => {
        prod = await renderRules("prod");
    });

    it("every prod alert has a firing and a silent promtool case", () => {
        const tests = promtoolTests(prod.scope, prod.groups[0].rules);
        const alerts = prod.groups.flatMap((g) => g.rules.map((r) => r.alert));
        assert.ok(alerts.length >= 9, `expected the platform's alerts, got ${alerts.join(", ")}`);
        for (const alert of alerts) {
            assert.ok(
                tests.some((t) => t.name === `${alert} fires` && t.alert_rule_test[0].exp_alerts.length === 1),
                `${alert} fires`,
            );
            assert.ok(
                tests.some((t) => t.name === `${alert} stays silent` && t.alert_rule_test[0].exp_alerts.length === 0),
                `${alert} silent`,
            );
        }
    });

    it("firing cases expect the rule's own labels and fully expanded annotations", () => {
        for (const t of promtoolTests(prod.scope, prod.groups[0].rules).filter((x) => x.name.endsWith("fires"))) {
            const exp = t.alert_rule_test[0].exp_alerts[0];
            assert.ok(exp.exp_labels.severity, t.name);
            for (const text of Object.values(exp.exp_annotations)) {
                assert.doesNotMatch(text, /\{\{/, `${t.name}: unexpanded template in "${text}"`);
            }
        }
    });

    // Alertmanager routes and silences by namespace in a cluster of many instances (the scale e2e deploys 20): an
    // alert that aggregates the namespace away cannot be told apart (the live node e2e found the API's three that
    // did). promtool then checks that each firing alert really carries it (scripts/alerts-check.sh).
    it("every firing case expects the stack's namespace among the alert's labels", () => {
        for (const t of promtoolTests(prod.scope, prod.groups[0].rules).filter((x) => x.name.endsWith("fires"))) {
            assert.equal(t.alert_rule_test[0].exp_alerts[0].exp_labels.namespace, prod.scope.namespace, t.name);
        }
    });

    it("every input series selects the stack's namespace", () => {
        for (const t of promtoolTests(prod.scope, prod.groups[0].rules)) {
            for (const s of t.input_series) {
                assert.match(s.series, new RegExp(`namespace="${prod.scope.namespace}"`), `${t.name}: ${s.series}`);
            }
        }
    });
});
