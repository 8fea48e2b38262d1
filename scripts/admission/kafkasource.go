package main

import (
	"context"
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	eventingduckv1 "knative.dev/eventing/pkg/apis/duck/v1"
	"knative.dev/eventing/pkg/apis/feature"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"
	"sigs.k8s.io/yaml"
)

// The KafkaSource's Go package (knative.dev/eventing-kafka-broker) is not served by the Go module
// proxy, so its type and rules are restated here from its source at tag knative-v1.23.0 (the
// same for sources.knative.dev/v1 and v1beta1). The parts it takes from knative.dev/eventing
// v0.50.0 and knative.dev/pkg (DeliverySpec, SourceSpec, Destination: the versions that tag
// vendors) are upstream's own code, messages included.

// kafkaSource mirrors control-plane/pkg/apis/sources/v1/kafka_types.go (KafkaSourceSpec, with
// bindings/v1 KafkaAuthSpec inlined); status is left out.
type kafkaSource struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              struct {
		Consumers         *int32                       `json:"consumers,omitempty"`
		BootstrapServers  []string                     `json:"bootstrapServers"`
		Net               kafkaNet                     `json:"net,omitempty"`
		Topics            []string                     `json:"topics"`
		ConsumerGroup     string                       `json:"consumerGroup,omitempty"`
		InitialOffset     string                       `json:"initialOffset,omitempty"`
		Delivery          *eventingduckv1.DeliverySpec `json:"delivery,omitempty"`
		Ordering          *string                      `json:"ordering,omitempty"`
		duckv1.SourceSpec `json:",inline"`
	} `json:"spec"`
}

// kafkaNet mirrors control-plane/pkg/apis/bindings/v1/kafka_types.go KafkaNetSpec.
type kafkaNet struct {
	SASL struct {
		Enable        bool        `json:"enable,omitempty"`
		User          secretValue `json:"user,omitempty"`
		Password      secretValue `json:"password,omitempty"`
		RoleARN       secretValue `json:"roleARN,omitempty"`
		TokenProvider secretValue `json:"tokenProvider,omitempty"`
		Type          secretValue `json:"type,omitempty"`
	} `json:"sasl,omitempty"`
	TLS struct {
		Enable bool        `json:"enable,omitempty"`
		Cert   secretValue `json:"cert,omitempty"`
		Key    secretValue `json:"key,omitempty"`
		CACert secretValue `json:"caCert,omitempty"`
	} `json:"tls,omitempty"`
}

type secretValue struct {
	SecretKeyRef *corev1.SecretKeySelector `json:"secretKeyRef,omitempty"`
}

func checkKafkaSource(doc []byte) error {
	var ks kafkaSource
	if err := yaml.UnmarshalStrict(doc, &ks); err != nil {
		return err
	}
	// knative-eventing's config-features as installed: delivery-timeout enabled,
	// delivery-retryafter disabled (eventing pkg/apis/feature/features.go newDefaults).
	flags, _ := feature.NewFlagsConfigFromMap(map[string]string{})
	ctx := feature.ToContext(apis.WithinCreate(context.Background()), flags)
	setKafkaSourceDefaults(ctx, &ks)
	errs := validateKafkaSourceSpec(ctx, &ks).ViaField("spec")
	// The KafkaSource webhook does not look at delivery; the controller copies it into the
	// ConsumerGroup it creates, whose webhook validates it with eventing's DeliverySpec.Validate
	// (internalskafkaeventing/v1alpha1 consumer_validation.go). The source then stays not Ready
	// with this message.
	errs = errs.Also(ks.Spec.Delivery.Validate(ctx).ViaField("spec", "delivery"))
	errs = errs.Also(validateKedaAnnotations(ks.Annotations).ViaField("metadata", "annotations"))
	if errs != nil {
		return errs
	}
	return nil
}

// setKafkaSourceDefaults: sources/v1/kafka_defaults.go SetDefaults, without the generated
// consumer group name (a random UUID) and the KEDA defaults from config-kafka-source-defaults.
func setKafkaSourceDefaults(ctx context.Context, ks *kafkaSource) {
	ctx = apis.WithinParent(ctx, ks.ObjectMeta)
	if ks.Spec.Consumers == nil {
		one := int32(1)
		ks.Spec.Consumers = &one
	}
	if ks.Spec.InitialOffset == "" {
		ks.Spec.InitialOffset = "latest"
	}
	if ks.Spec.Ordering == nil {
		ordered := "ordered"
		ks.Spec.Ordering = &ordered
	}
	ks.Spec.Sink.SetDefaults(ctx)
	ks.Spec.Delivery.SetDefaults(ctx)
}

// validateKafkaSourceSpec: sources/v1/kafka_validation.go KafkaSourceSpec.Validate.
func validateKafkaSourceSpec(ctx context.Context, ks *kafkaSource) *apis.FieldError {
	spec := &ks.Spec
	errs := spec.SourceSpec.Validate(ctx)
	if len(spec.Topics) <= 0 {
		errs = errs.Also(apis.ErrMissingField("topics"))
	}
	if len(spec.BootstrapServers) <= 0 {
		errs = errs.Also(apis.ErrMissingField("bootstrapServers"))
	}
	switch spec.InitialOffset {
	case "earliest", "latest":
	default:
		errs = errs.Also(apis.ErrInvalidValue(spec.InitialOffset, "initialOffset"))
	}
	if spec.Ordering != nil {
		switch *spec.Ordering {
		case "ordered", "unordered":
		default:
			errs = errs.Also(apis.ErrInvalidValue(*spec.Ordering, "ordering"))
		}
	}
	// Not a webhook rule: upstream schedules *consumers virtual replicas (kafka_scheduling.go
	// GetVReplicas), so 0 or less admits a source that never consumes. Refused here for that reason.
	if *spec.Consumers < 1 {
		errs = errs.Also(apis.ErrOutOfBoundsValue(*spec.Consumers, 1, 2147483647, "consumers"))
	}
	return errs
}

// KEDA annotations of a KafkaSource (autoscaler/autoscaler_api.go) are copied to its
// ConsumerGroup and parsed when the ScaledObject is generated: each one as an int32
// (autoscaler/keda/resources.go GetInt32ValueFromMap, whose message this is), and KEDA's own
// webhook refuses min above max (keda apis/keda/v1alpha1 scaledobject_types.go
// CheckReplicaCountBoundsAreValid). A class other than KEDA's or "disabled" turns scaling off
// silently (keda/keda.go IsEnabled), so it is refused here.
var kedaIntAnnotations = []string{
	"min-scale", "max-scale", "polling-interval", "cooldown-period", "lag-threshold", "activation-lag-threshold",
}

const kedaPrefix = "autoscaling.eventing.knative.dev/"

func validateKedaAnnotations(annotations map[string]string) *apis.FieldError {
	var errs *apis.FieldError
	class, hasClass := annotations[kedaPrefix+"class"]
	if hasClass && class != "keda.autoscaling.knative.dev" && class != "disabled" {
		errs = errs.Also(apis.ErrInvalidValue(class, kedaPrefix+"class",
			"expected keda.autoscaling.knative.dev or disabled"))
	}
	values := map[string]int64{}
	for _, name := range kedaIntAnnotations {
		key := kedaPrefix + name
		v, ok := annotations[key]
		if !ok || v == "" {
			continue
		}
		i, err := strconv.ParseInt(v, 10, 32)
		if err != nil {
			errs = errs.Also(&apis.FieldError{
				Message: "Expected value for annotation: " + key + " should be integer but got " + v,
				Paths:   []string{key},
			})
			continue
		}
		values[name] = i
	}
	minScale, hasMin := values["min-scale"]
	maxScale, hasMax := values["max-scale"]
	if hasMin && hasMax && minScale > maxScale {
		errs = errs.Also(&apis.FieldError{
			Message: fmt.Sprintf("MinReplicaCount=%d must be less than MaxReplicaCount=%d", minScale, maxScale),
			Paths:   []string{kedaPrefix + "min-scale", kedaPrefix + "max-scale"},
		})
	}
	return errs
}
