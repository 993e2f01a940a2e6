"""The printed 抽样单 and 抽样检验告知书 (labsys/pdf/sampling_forms.py) from a visit's records."""

from __future__ import annotations

from flask import current_app

from labsys.models import InspectionType, Link, Sample, SampleStatus, SamplingVisit
from labsys.pdf.sampling_forms import (
    FormSection,
    NoticeData,
    SamplingFormData,
    notice_pdf,
    sampling_forms_pdf,
)
from labsys.services.sampling import storage_titles


def live_samples(visit: SamplingVisit) -> list[Sample]:
    return [s for s in visit.samples if s.status != SampleStatus.VOIDED]


LINK_PLACES = {
    Link.PRODUCTION: "生产环节",
    Link.RETAIL: "流通环节",
    Link.CATERING: "餐饮环节",
    Link.ONLINE: "网络抽样",
}


def _title(value) -> str:
    """An enum's Chinese title as the form prints it ("Pressed (压榨)" -> "压榨")."""
    if value is None:
        return "/"
    text = str(value.title)
    return text[text.find("(") + 1 : -1] if text.endswith(")") and "(" in text else text


def _date(value) -> str:
    return value.isoformat() if value else "/"


def _lab_name(sample: Sample) -> str:
    return sample.lab.name if sample.lab else current_app.config["LAB_NAME"]


def _plan(sample: Sample):
    return sample.plan or (sample.task.plan if sample.task else None)


def task_source(visit: SamplingVisit, sample: Sample | None = None) -> str:
    """任务来源: the visit's, else its plan's name."""
    if visit.task_source:
        return visit.task_source
    plan = _plan(sample) if sample is not None else (visit.task.plan if visit.task else None)
    return plan.name if plan else "/"


def form_data(sample: Sample) -> SamplingFormData:
    visit, unit, producer = sample.visit, sample.visit.sampled_unit, sample.producer
    plan = _plan(sample)
    production = " / ".join(
        x
        for x in (_date(sample.production_date) if sample.production_date else "", sample.batch_no)
        if x
    )
    sections = [
        FormSection(
            "被抽样单位信息",
            [
                ("单位名称", unit.name),
                ("统一社会信用代码", unit.uscc or "/"),
                ("单位地址", unit.address or "/"),
                ("许可证编号", unit.licence_no or "/"),
                ("联系电话", unit.phone or "/"),
                ("抽样地点", visit.place or unit.address or "/"),
            ],
        ),
        FormSection(
            "抽样信息",
            [
                ("抽样环节", LINK_PLACES.get(visit.link, str(visit.link))),
                ("抽样日期", _date(visit.sampling_date)),
                (
                    "抽样依据",
                    visit.sampling_basis or current_app.config.get("SAMPLING_BASIS") or "/",
                ),
                ("组织机构", visit.organising_authority or "/"),
            ],
        ),
        FormSection(
            "样品信息",
            [
                ("样品名称", sample.food_name),
                ("食品分类", sample.category.name_zh),
                ("商标", sample.brand or "/"),
                ("规格型号", sample.specification or "/"),
                ("生产日期/批号", production or "/"),
                ("保质期", sample.shelf_life or "/"),
                ("执行标准/技术文件", sample.product_standard or "/"),
                ("质量等级", sample.quality_grade or "/"),
                ("生产许可证编号", sample.licence_no or "/"),
                ("样品来源", _title(sample.sample_source)),
                ("样品属性", _title(sample.sample_attribute)),
                ("样品形态", _title(sample.physical_state)),
                ("包装分类", _title(sample.packaging)),
                ("储存条件", storage_titles(sample.storage_conditions) or "/"),
                ("抽样方式", _title(sample.sampling_method)),
                ("压榨/浸出", _title(sample.oil_process)),
                ("抽样基数", sample.sampling_base or "/"),
                ("抽样数量", f"{sample.quantity} {sample.quantity_unit}".strip()),
                (
                    "备样数量",
                    f"{sample.backup_quantity} {sample.quantity_unit}".strip()
                    if sample.backup_quantity
                    else "/",
                ),
                ("单价（元）", sample.unit_price or "/"),
                ("购样费用（元）", sample.purchase_cost or "/"),
                ("购进日期", _date(sample.purchase_date)),
                ("供货者", sample.supplier or "/"),
            ],
        ),  # fmt: skip
        FormSection(
            "（标称）生产者信息",
            [
                ("名称", producer.name if producer else "/"),
                ("地址", (producer.address or "/") if producer else "/"),
                ("联系电话", (producer.phone or "/") if producer else "/"),
                ("许可证编号", (producer.licence_no or "/") if producer else "/"),
            ],
        ),
    ]
    if visit.link == Link.ONLINE:
        sections.append(
            FormSection(
                "网络抽样信息",
                [
                    ("平台名称", visit.online_platform or "/"),
                    ("网店名称", visit.online_shop or "/"),
                    ("网店网址", visit.online_shop_url or "/"),
                    ("订单编号", visit.online_order_no or "/"),
                    ("买样人账号", visit.online_buyer_account or "/"),
                    ("付款账户", visit.online_payment_account or "/"),
                    ("付款金额（元）", visit.online_payment_amount or "/"),
                    ("收货地址", visit.delivery_address or "/"),
                    ("包裹到达日期", _date(visit.parcel_arrival_date)),
                    ("拆封查验记录", visit.unboxing_record or "/"),
                ],
            )
        )
    sections.append(
        FormSection(
            "抽样单位信息",
            [
                ("单位名称", _lab_name(sample)),
                ("联系电话", current_app.config.get("LAB_PHONE") or "/"),
            ],
        )
    )
    return SamplingFormData(
        sample_no=sample.sample_no,
        task_source=task_source(visit, sample),
        # 检验类别 as a title (监督抽检; English in an English UI), never the stored code.
        inspection_type=InspectionType.of(
            sample.inspection_type or (plan.inspection_type if plan else None)
        ).title,
        sections=sections,
        remarks=sample.remarks or "/",
        samplers="、".join(u.display_name for u in visit.samplers),
        sampling_date=_date(visit.sampling_date),
        seal_checker=sample.seal_checker,
        voided=sample.status == SampleStatus.VOIDED,
        void_reason=visit.void_reason if visit.voided_at is not None else None,
    )


def forms_pdf(samples: list[Sample]) -> bytes:
    return sampling_forms_pdf(
        [form_data(s) for s in samples], font_path=current_app.config.get("PDF_FONT_PATH")
    )


def visit_notice_pdf(visit: SamplingVisit) -> bytes:
    # A voided batch is no longer sampled from the unit: the notice lists and counts the live
    # ones.  A voided form keeps its batches on its (voided) notice.
    voided = visit.voided_at is not None
    listed = list(visit.samples) if voided else live_samples(visit)
    first = visit.samples[0] if visit.samples else None
    data = NoticeData(
        unit_name=visit.sampled_unit.name,
        organiser=visit.organising_authority or "市场监督管理部门",
        lab_name=_lab_name(first) if first else current_app.config["LAB_NAME"],
        sampling_date=_date(visit.sampling_date),
        basis=visit.sampling_basis or current_app.config.get("SAMPLING_BASIS") or "",
        samplers="、".join(u.display_name for u in visit.samplers),
        batches=[
            (s.sample_no, s.food_name, f"{s.quantity} {s.quantity_unit}".strip()) for s in listed
        ],
        online=visit.link == Link.ONLINE,
        voided=voided,
        void_reason=visit.void_reason if voided else None,
    )
    return notice_pdf(data, font_path=current_app.config.get("PDF_FONT_PATH"))
