"""The factories build what later features start from."""

from labsys.models import ResultStatus, SampleStatus


def test_received_sample_has_frozen_pending_results(make_category, make_item, make_sample):
    leaf = make_category("粮食加工品", "小麦粉", "小麦粉", "通用小麦粉")
    lead = make_item("铅(以Pb计)", "mg/kg")
    sample = make_sample(leaf, [{"test_item": lead, "limit_text": "≤0.2", "lod": "0.005"}])
    assert sample.status == SampleStatus.RECEIVED
    assert sample.cat_l4_id == leaf.id and sample.cat_l1_id == leaf.ancestor_ids[0]
    [result] = sample.results
    assert (result.item_name, result.limit_text, result.status) == (
        "铅(以Pb计)",
        "≤0.2",
        ResultStatus.PENDING,
    )


def test_reference_data_seeds_the_sixteen_districts(reference_data, db):
    from labsys.services.reference import districts

    assert len(districts(db.session)) == 16
