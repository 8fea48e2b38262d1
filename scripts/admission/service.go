package main

import (
	"context"

	authv1 "k8s.io/api/authentication/v1"
	"knative.dev/pkg/apis"
	"sigs.k8s.io/yaml"

	apisconfig "knative.dev/serving/pkg/apis/config"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
)

// checkService does what Knative Serving's webhooks do on `kubectl apply` of a new Service
// (knative.dev/pkg webhook/resourcesemantics defaulting.go and validation_admit.go, with
// cmd/webhook/main.go's config store): the context carries the config-defaults, config-features
// and config-autoscaler of a fresh installation (empty ConfigMaps = upstream defaults), the
// operation is a create, then SetDefaults, then Validate.
//
// Not run here: the webhook's extra callback that dry-runs the pod spec against the cluster
// (pkg/webhook/podspec_dryrun.go); it needs an API server.
func checkService(doc []byte) error {
	var svc servingv1.Service
	// Strict: an unknown field is an error, as with kubectl's default --validate=strict.
	if err := yaml.UnmarshalStrict(doc, &svc); err != nil {
		return err
	}
	ctx := servingContext()
	svc.SetDefaults(ctx)
	if err := svc.Validate(ctx); err != nil {
		return err
	}
	return nil
}

func servingContext() context.Context {
	cfg := apisconfig.FromContextOrDefaults(context.Background())
	ctx := apisconfig.ToContext(context.Background(), cfg)
	ctx = apis.WithinCreate(ctx)
	return apis.WithUserInfo(ctx, &authv1.UserInfo{Username: "kubernetes-admin"})
}
