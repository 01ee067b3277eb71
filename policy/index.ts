// The policy pack. Constructing PolicyPack starts the analyzer's gRPC server, so nothing may import this
// file: rules live in ./rules and are importable on their own.
import { PolicyPack } from "@pulumi/policy";
import { allPolicies } from "./rules";

new PolicyPack("rag-platform-k8s", { policies: allPolicies });
