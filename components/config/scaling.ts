// HPA scaling behavior (autoscaling/v2 HorizontalPodAutoscalerBehavior): how fast an HPA may add and remove
// pods. Kept out of types.ts (size); re-exported through ./index like the other shapes.

export const SCALING_POLICY_TYPES = ["Pods", "Percent"] as const;
export const SELECT_POLICIES = ["Max", "Min", "Disabled"] as const;

/** At most `value` pods (or percent of the pods) added or removed within `periodSeconds`. */
export interface ScalingPolicy {
    type: (typeof SCALING_POLICY_TYPES)[number];
    value: number;
    periodSeconds: number;
}
export const SCALING_POLICY_KEYS = ["type", "value", "periodSeconds"] as const satisfies readonly (keyof ScalingPolicy)[];

/** One direction of scaling (HPAScalingRules). */
export interface ScalingRules {
    /** Seconds of past recommendations considered (scale down: the highest of them is used). */
    stabilizationWindowSeconds: number;
    /** Which policy wins when several allow different changes: Max (the larger change), Min, or Disabled. */
    selectPolicy: (typeof SELECT_POLICIES)[number];
    policies: ScalingPolicy[];
}
export const SCALING_RULES_KEYS = ["stabilizationWindowSeconds", "selectPolicy", "policies"] as const satisfies readonly (keyof ScalingRules)[];

export interface ScalingBehavior {
    scaleUp: ScalingRules;
    scaleDown: ScalingRules;
}
export const SCALING_BEHAVIOR_KEYS = ["scaleUp", "scaleDown"] as const satisfies readonly (keyof ScalingBehavior)[];
