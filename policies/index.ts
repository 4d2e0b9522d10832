import { PolicyPack } from "@pulumi/policy";
import { packEnforcementLevel, packName, policies } from "./policies";

// The one PolicyPack of this process (CrossGuard allows exactly one). Kept apart from the
// policy list so the synth and the tests can import the policies without starting the
// pack's gRPC server.
new PolicyPack(packName, {
    description:
        "Security hardening for the MCP platform: PSS restricted, CIS EKS, AWS and Cloudflare.",
    enforcementLevel: packEnforcementLevel,
    policies,
});
