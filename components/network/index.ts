// Traffic into and inside the namespace: the one way in (the Ingress) and the zero-trust NetworkPolicies that
// allow exactly the platform's own traffic. Imports only ../shared and ../config.
//
//   ingress.ts         PlatformIngress: ingressClassName, TLS through a cert-manager issuer, /api and /, annotations
//   network-policy.ts  NetworkPolicies: default deny, DNS, ingress controller → API and frontend, clients ↔
//                      datastores and model servers, egress to external datastores and HTTPS (docs/architecture.md)
export * from "./ingress";
export * from "./network-policy";
