import { strict as assert } from "assert";
import { MAX_NAME_LENGTH, objectName } from "../components/shared";

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

describe("objectName", () => {
    it("joins instance, component and suffixes", () => {
        assert.equal(objectName("rag", "config"), "rag-config");
        assert.equal(objectName({ instance: "rag", component: "postgres" }), "rag-postgres");
        assert.equal(objectName({ instance: "rag", component: "postgres" }, "headless"), "rag-postgres-headless");
    });

    it("keeps a name of exactly 63 characters as it is", () => {
        const name = "a".repeat(MAX_NAME_LENGTH - 4);
        assert.equal(objectName(name, "abc"), `${name}-abc`);
        assert.equal(objectName(name, "abc").length, 63);
    });

    it("cuts longer names to 63 characters, a valid DNS label without a trailing '-', distinct per full name", () => {
        const instance = "platform-with-a-rather-long-instance-name-x";
        const a = objectName({ instance, component: "vector-store" }, "headless");
        const b = objectName({ instance, component: "vector-store" }, "headless2");
        for (const n of [a, b]) {
            assert.ok(n.length <= MAX_NAME_LENGTH, `${n} has ${n.length} characters`);
            assert.match(n, DNS_LABEL);
        }
        assert.notEqual(a, b);
        assert.ok(a.startsWith("platform-with-a-rather-long-instance-name-x-vector"), a);
        // A cut that would end in '-' drops it.
        const dashy = objectName("b".repeat(55) + "-----", "zzzzzzzzz");
        assert.match(dashy, DNS_LABEL);
        assert.ok(dashy.length <= MAX_NAME_LENGTH);
    });
});
