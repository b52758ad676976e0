"""Input and output schemas of the calendar API."""

from __future__ import annotations

import datetime

from ninja import Field, Schema


class CoverageOut(Schema):
    year: int
    covered: bool = Field(description="该年的节假日安排是否已录入（未录入时按周一至周五计算）")
    source: str = Field(description="chinese-calendar | admin | none")
    holidays: int = Field(description="放假天数（含放假时段内的周末）")
    makeup_days: int = Field(description="调休上班天数")


class DayOut(Schema):
    date: datetime.date
    is_workday: bool = Field(description="true：调休上班；false：放假")
    name: str


class HolidayRangeSchema(Schema):
    name: str = Field(max_length=20, description="节日名称，如 元旦、春节")
    start: datetime.date
    end: datetime.date


class MakeupDaySchema(Schema):
    date: datetime.date = Field(description="须是周六或周日")
    name: str = Field("", max_length=22, description="如 春节调休；留空则为“调休上班”")


class YearOut(Schema):
    year: int
    coverage: CoverageOut
    workdays: int = Field(description="全年工作日天数")
    version: str = Field(
        description="最近一次确认的时间；修改时作为 expected_version 传回，防止覆盖他人的修改"
    )
    confirmed_by: str | None
    confirmed_at: datetime.datetime | None
    notes: str
    holidays: list[HolidayRangeSchema] = Field(description="放假时段")
    makeup_days: list[MakeupDaySchema]
    days: list[DayOut] = Field(description="与周一至周五不同的每一天（放假日与调休上班日）")


class YearSetIn(Schema):
    holidays: list[HolidayRangeSchema] = Field(min_length=1)
    makeup_days: list[MakeupDaySchema] = Field(default_factory=list)
    notes: str = Field("", max_length=2000)
    expected_version: str | None = Field(
        None, description="读取时的 version（新年份为空字符串）；与当前不符时返回 409"
    )
