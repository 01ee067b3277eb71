module ragtoolchain/standins

go 1.25.0

require (
	github.com/pulumi/pulumi/sdk/v3 v@PULUMI_VERSION@
	k8s.io/api @STAGE_VERSION@
	k8s.io/apimachinery @STAGE_VERSION@
	k8s.io/client-go @STAGE_VERSION@
)
