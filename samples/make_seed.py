"""Regenerate samples/yuzhong-emergency-2024.toml from the figures of the published report.

The figures are the report's own; every narrative sentence is written afresh for this project.
Run: python samples/make_seed.py
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from nianbao.store.draft import new_draft, save_draft
from nianbao.report.template import load_template

HERE = Path(__file__).parent

TEXTS = {
    "s1.active": (
        "全年通过门户网站主动公开信息300条。其中政府信息公开指南1条,政策文件19条,政府信息公开年报1条,"
        "领导信息1条,机构设置及职能信息1条,预决算信息2条,处罚强制信息15条,监督检查信息19条,"
        "应急管理信息152条,公共服务信息2条,重点领域信息公开14条,部门动态73条。"
    ),
    "s1.requests": "本年度我局未接到政府信息公开申请,也没有需要结转办理的申请。",
    "s1.management": (
        "一是把好发布关口。对照“应公开尽公开”的要求更新主动公开目录,所有稿件按“三审三校”流程审核后发布,"
        "做到内容准确、口径统一。二是聚焦主责主业。围绕安全生产监管、应急救援和防灾减灾,及时发布权责清单、"
        "行政许可和行政处罚等信息,按范例统一栏目和标准。三是严格保密审查。坚持先审查后公开、一事一审,"
        "从源头防止涉密信息上网。"
    ),
    "s1.platforms": (
        "一是定期自查网站,按照区里的要求整改发现的问题,并牵头推进全区安全生产和救灾领域基层政务公开标准化规范化。"
        "二是围绕安全监管执法、防灾减灾和宣传教育充实内容,新增“应急科普”和“12350安全生产举报”栏目。"
        "三是落实网络安全防护,每周提醒、每月检查全局电脑、网络和防病毒软件,守住网站安全底线。"
    ),
    "s1.oversight": (
        "一是加强组织领导,把政务公开列入局党委会和办公会议题,形成主要领导过问、分管领导调度、办公室协调、"
        "各科室配合的工作机制。二是压实工作责任,明确1名分管领导和1名兼职工作人员,各科室各配1名兼职人员,"
        "任务分解到科室、落实到人。三是加强日常检查和培训,对照第三方评估报告查漏补缺,对整改情况开展“回头看”。"
    ),
    "s5.problems": (
        "一是个别栏目更新不够及时,少数信息未能按时发布。二是信息质量仍需提高,部分科室人员对政务公开业务不够熟悉,"
        "培训指导偏少,公开意识有待增强。"
    ),
    "s5.measures": (
        "一是整合各方资源,依托“12350”“民呼我为”等平台完善公众参与机制,改进栏目的公开形式,及时准确回应社会关切。"
        "二是增强主动公开意识,规范发布流程,加强业务培训,丰富信息形式,拓展公开内容,方便群众查阅。"
    ),
    "s6.other": "本机关全年认真落实《中华人民共和国政府信息公开条例》,完成了年度政务公开各项任务。本年度未收取信息处理费。",
}

T2 = {
    ("regulations", "made"): 0, ("regulations", "repealed"): 0, ("regulations", "in_force"): 0,
    ("normative_docs", "made"): 0, ("normative_docs", "repealed"): 0, ("normative_docs", "in_force"): 0,
    ("licensing", "decisions"): 40,
    ("penalty", "decisions"): 22,
    ("enforcement", "decisions"): 0,
    ("fees", "fee_amount"): Decimal("0"),
}
T4 = {"review_pending": 3, "after_upheld": 1}


def build():
    template = load_template("gov-info-disclosure-2021")
    draft = new_draft(template, "渝中区应急管理局", 2024, "县级人民政府部门")
    draft.texts.update(TEXTS)
    stamp = dt.datetime(2025, 1, 20, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    draft.created = draft.updated = stamp
    for (r, c), v in T2.items():
        draft.values[("t2", r, c)] = v
    for ref in template.tables["t3"].input_cells:
        draft.values[("t3", ref.row, ref.col)] = 0
    for ref in template.tables["t4"].input_cells:
        draft.values[("t4", ref.row, ref.col)] = T4.get(ref.col, 0)
    return draft


def build_blank():
    template = load_template("gov-info-disclosure-2021")
    draft = new_draft(template, "", None, "")
    stamp = dt.datetime(2025, 1, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    draft.created = draft.updated = stamp
    return draft


if __name__ == "__main__":
    save_draft(build(), HERE / "yuzhong-emergency-2024.toml", touch=False)
    save_draft(build_blank(), HERE / "blank.toml", touch=False)
