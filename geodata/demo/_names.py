"""Display names: English labels for districts and streets, names of stations and points."""

from __future__ import annotations

import re

__all__ = ["english_name", "place_stem", "short_name"]

_DISTRICTS = {
    "南关区": "Nanguan District",
    "宽城区": "Kuancheng District",
    "朝阳区": "Chaoyang District",
    "二道区": "Erdao District",
    "绿园区": "Lvyuan District",
    "双阳区": "Shuangyang District",
    "九台区": "Jiutai District",
    "农安县": "Nong'an County",
    "榆树市": "Yushu City",
    "德惠市": "Dehui City",
}

_WHOLE = {
    "绿园经济开发区": "Lvyuan Economic Development Zone",
    "洼中高农场": "Wazhonggao Farm",
    "双营子回族乡": "Shuangyingzi Hui Ethnic Township",
    "胡家回族乡": "Hujia Hui Ethnic Township",
    "莽卡满族乡": "Mangka Manchu Ethnic Township",
    "延和朝鲜族乡": "Yanhe Korean Ethnic Township",
}

_PINYIN = dict(
    item.split(":")
    for item in """
南岭:Nanling 自强:Ziqiang 民康:Minkang 新春:Xinchun 长通:Changtong 全安:Quan'an
曙光:Shuguang 永吉:Yongji 桃源:Taoyuan 鸿城:Hongcheng 明珠:Mingzhu 富裕:Fuyu 幸福:Xingfu
新发:Xinfa 站前:Zhanqian 南广:Nanguang 东广:Dongguang 群英:Qunying 兴业:Xingye
凯旋:Kaixuan 团山:Tuanshan 柳影:Liuying 欣园:Xinyuan 兰家:Lanjia 米沙子:Mishazi
万宝:Wanbao 合隆:Helong 前进:Qianjin 桂林:Guilin 南湖:Nanhu 永昌:Yongchang
重庆:Chongqing 清和:Qinghe 红旗:Hongqi 湖西:Huxi 富锋:Fufeng 乐山:Leshan 永春:Yongchun
东盛:Dongsheng 吉林:Jilin 荣光:Rongguang 东站:Dongzhan 远达:Yuanda 八里堡:Balibao
长青:Changqing 英俊:Yingjun 劝农山:Quannongshan 泉眼:Quanyan 四家:Sijia 正阳:Zhengyang
春城:Chuncheng 青年:Qingnian 林园:Linyuan 同心:Tongxin 合心:Hexin 西新:Xixin
城西:Chengxi 云山:Yunshan 平湖:Pinghu 奢岭:Sheling 山河:Shanhe 齐家:Qijia 太平:Taiping
鹿乡:Luxiang 九台:Jiutai 营城:Yingcheng 九郊:Jiujiao 西营城:Xiyingcheng
土们岭:Tumenling 苇子沟:Weizigou 兴隆:Xinglong 纪家:Jijia 波泥河:Bonihe 卡伦湖:Kalunhu
东湖:Donghu 龙嘉:Longjia 沐石河:Mushihe 城子街:Chengzijie 其塔木:Qitamu
上河湾:Shanghewan 农安:Nong'an 伏龙泉:Fulongquan 哈拉海:Halahai 靠山:Kaoshan
开安:Kai'an 烧锅:Shaoguo 高家店:Gaojiadian 华家:Huajia 三盛玉:Sanshengyu
巴吉垒:Bajilei 三岗:Sangang 前岗:Qiangang 龙王:Longwang 万顺:Wanshun 杨树林:Yangshulin
永安:Yong'an 青山口:Qingshankou 黄鱼圈:Huangyuquan 新农:Xinnong 万金塔:Wanjinta
小城子:Xiaochengzi 华昌:Huachang 培英:Peiying 城郊:Chengjiao 五棵树:Wukeshu
弓棚:Gongpeng 闵家:Minjia 大坡:Dapo 黑林:Heilin 土桥:Tuqiao 新立:Xinli 大岭:Daling
于家:Yujia 泗河:Sihe 八号:Bahao 刘家:Liujia 秀水:Xiushui 保寿:Baoshou 新庄:Xinzhuang
育民:Yumin 红星:Hongxing 太安:Tai'an 先峰:Xianfeng 青山:Qingshan 恩育:Enyu 城发:Chengfa
环城:Huancheng 胜利:Shengli 建设:Jianshe 惠发:Huifa 夏家店:Xiajiadian 大青嘴:Daqingzui
郭家:Guojia 松花江:Songhuajiang 达家沟:Dajiagou 大房身:Dafangshen 岔路口:Chalukou
朱城子:Zhuchengzi 布海:Buhai 天台:Tiantai 菜园子:Caiyuanzi 同太:Tongtai 边岗:Biangang
五台:Wutai 朝阳:Chaoyang
""".split()
)

_SUFFIXES = (("街道办事处", "Subdistrict"), ("镇", "Town"), ("乡", "Township"))


def short_name(name: str) -> str:
    """The name without bracketed notes such as ``（省级）`` or ``（…开发区）``."""
    return re.sub(r"（[^）]*）", "", name).strip()


def english_name(name: str) -> str | None:
    """An English label for a district or street/township name, ``None`` if unknown.

    Examples
    --------
    >>> english_name("南岭街道办事处")
    'Nanling Subdistrict'
    >>> english_name("劝农山镇（长春莲花山生态旅游度假区省级）")
    'Quannongshan Town'
    """
    name = short_name(name)
    if name in _DISTRICTS:
        return _DISTRICTS[name]
    if name in _WHOLE:
        return _WHOLE[name]
    for suffix, label in _SUFFIXES:
        stem = name.removesuffix(suffix)
        if stem != name and stem in _PINYIN:
            return f"{_PINYIN[stem]} {label}"
    return None


def place_stem(name: str) -> str:
    """A community or street name shortened for composite names.

    ``光明村委会`` -> ``光明村``, ``工农居委会`` -> ``工农社区``,
    ``南岭街道办事处`` -> ``南岭街道``; bracketed notes dropped.
    """
    name = short_name(name)
    for old, new in (("村委会", "村"), ("居委会", "社区"), ("街道办事处", "街道")):
        if name.endswith(old):
            return name[: -len(old)] + new
    return name
