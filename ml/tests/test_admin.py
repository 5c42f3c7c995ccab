"""The registry in the admin: versions with their metrics, and rollback as an audited action."""

from django.urls import reverse

from ml import actions
from ml.models import ModelVersion, RegistryEvent
from testkit.ml_data import spam_dataset


def test_versions_and_metrics_show_and_rollback_is_one_action(spam_model, admin_client, admin_user):
    actions.do_train("spam", data=spam_dataset(seed=2))
    page = admin_client.get(reverse("admin:ml_modelversion_changelist"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "spam" in body and str(spam_model.metrics["f1"]) in body and "retired" in body
    detail = admin_client.get(reverse("admin:ml_modelversion_change", args=[spam_model.pk]))
    assert detail.status_code == 200 and "data_sources" in detail.content.decode()
    response = admin_client.post(
        reverse("admin:ml_modelversion_changelist"),
        {"action": "make_active", "_selected_action": [spam_model.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert ModelVersion.objects.get(pk=spam_model.pk).status == "active"
    event = RegistryEvent.objects.get(action="rolled_back")
    assert (event.version, event.previous_version, event.actor) == (1, 2, admin_user)
    assert admin_client.get(reverse("admin:ml_registryevent_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:ml_label_changelist")).status_code == 200
