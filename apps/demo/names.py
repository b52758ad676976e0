"""Seeded generator of plausible Chinese personal names for demo users (none is a real person)."""

from __future__ import annotations

import random

# Common surnames, roughly by frequency, and characters common in given names.
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂文华建国红梅玉志海燕永春立新晓光荣德成林云凤"
    "丹萍玲斌波辉鹏宇浩俊峰琳雪慧颖婷佳欣嘉怡子涵梓晨宏家兴发贵富祥福寿安顺学仁义礼智信忠良"
)


class NameGenerator:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def __call__(self) -> str:
        """A new name: a surname and one or two given-name characters, unique within the generator
        (so two demo people never share a name, which would confuse a demo)."""
        for _ in range(1000):
            length = 1 if self.rng.random() < 0.3 else 2
            name = self.rng.choice(SURNAMES) + "".join(self.rng.choice(GIVEN) for _ in range(length))
            if name not in self.used:
                self.used.add(name)
                return name
        raise RuntimeError("name space exhausted")
