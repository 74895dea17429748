"""Embedded name tables for the synthetic population: kanji with katakana readings.

The lists are hand-compiled from common usage (surname rankings, popular given names by birth
period); they are plausible, not statistics. Surnames are in rough order of frequency and are drawn
with weight 1/√rank, which gives the top surname about 14 times the weight of the 200th, close to the
real ratio. No table here holds a real person's data.
"""

# Data tables: lines of kanji are wide (2 columns each), so the line-length rule is off here only.
# ruff: noqa: E501

from __future__ import annotations

# 氏: "kanji:reading", most frequent first.
_SURNAMES = """
佐藤:サトウ 鈴木:スズキ 高橋:タカハシ 田中:タナカ 伊藤:イトウ 渡辺:ワタナベ 山本:ヤマモト 中村:ナカムラ
小林:コバヤシ 加藤:カトウ 吉田:ヨシダ 山田:ヤマダ 佐々木:ササキ 山口:ヤマグチ 松本:マツモト 井上:イノウエ
木村:キムラ 林:ハヤシ 斎藤:サイトウ 清水:シミズ 山崎:ヤマザキ 森:モリ 池田:イケダ 橋本:ハシモト
阿部:アベ 石川:イシカワ 山下:ヤマシタ 中島:ナカジマ 石井:イシイ 小川:オガワ 前田:マエダ 岡田:オカダ
長谷川:ハセガワ 藤田:フジタ 後藤:ゴトウ 近藤:コンドウ 村上:ムラカミ 遠藤:エンドウ 青木:アオキ 坂本:サカモト
斉藤:サイトウ 福田:フクダ 太田:オオタ 西村:ニシムラ 藤井:フジイ 金子:カネコ 岡本:オカモト 藤原:フジワラ
中野:ナカノ 三浦:ミウラ 原田:ハラダ 中川:ナカガワ 松田:マツダ 竹内:タケウチ 小野:オノ 田村:タムラ
中山:ナカヤマ 和田:ワダ 石田:イシダ 森田:モリタ 上田:ウエダ 原:ハラ 内田:ウチダ 柴田:シバタ
酒井:サカイ 宮崎:ミヤザキ 横山:ヨコヤマ 高木:タカギ 安藤:アンドウ 宮本:ミヤモト 大野:オオノ 小島:コジマ
谷口:タニグチ 今井:イマイ 工藤:クドウ 高田:タカダ 増田:マスダ 丸山:マルヤマ 杉山:スギヤマ 村田:ムラタ
大塚:オオツカ 新井:アライ 小山:コヤマ 平野:ヒラノ 藤本:フジモト 河野:コウノ 上野:ウエノ 野口:ノグチ
武田:タケダ 松井:マツイ 千葉:チバ 岩崎:イワサキ 菅原:スガワラ 木下:キノシタ 久保:クボ 佐野:サノ
野村:ノムラ 松尾:マツオ 市川:イチカワ 菊地:キクチ 杉本:スギモト 古川:フルカワ 大西:オオニシ 島田:シマダ
水野:ミズノ 桜井:サクライ 高野:タカノ 渡部:ワタナベ 吉川:ヨシカワ 山内:ヤマウチ 西田:ニシダ 飯田:イイダ
菊池:キクチ 西川:ニシカワ 小松:コマツ 北村:キタムラ 安田:ヤスダ 五十嵐:イガラシ 川口:カワグチ 平田:ヒラタ
関:セキ 中田:ナカタ 久保田:クボタ 服部:ハットリ 東:ヒガシ 岩田:イワタ 土屋:ツチヤ 川崎:カワサキ
福島:フクシマ 本田:ホンダ 辻:ツジ 樋口:ヒグチ 秋山:アキヤマ 田口:タグチ 永井:ナガイ 山中:ヤマナカ
中西:ナカニシ 吉村:ヨシムラ 川上:カワカミ 石原:イシハラ 大橋:オオハシ 松岡:マツオカ 馬場:ババ 浅野:アサノ
荒木:アラキ 松下:マツシタ 大久保:オオクボ 野田:ノダ 小池:コイケ 熊谷:クマガイ 松村:マツムラ 菅野:スガノ
田辺:タナベ 内藤:ナイトウ 西山:ニシヤマ 大石:オオイシ 川村:カワムラ 中尾:ナカオ 堀:ホリ 望月:モチヅキ
早川:ハヤカワ 黒田:クロダ 永田:ナガタ 尾崎:オザキ 福井:フクイ 星野:ホシノ 森本:モリモト 片山:カタヤマ
松浦:マツウラ 岡崎:オカザキ 上原:ウエハラ 矢野:ヤノ 堤:ツツミ 榎本:エノモト 大川:オオカワ 吉野:ヨシノ
北川:キタガワ 小西:コニシ 桑原:クワバラ 宮下:ミヤシタ 佐久間:サクマ 今村:イマムラ 富田:トミタ 平井:ヒライ
小田:オダ 村井:ムライ 高山:タカヤマ 武藤:ムトウ 須藤:スドウ 荒井:アライ 大谷:オオタニ 南:ミナミ
岡:オカ 横田:ヨコタ 松永:マツナガ 宮田:ミヤタ 藤川:フジカワ 浜田:ハマダ 堀田:ホッタ 葛西:カサイ
小沢:オザワ 宇野:ウノ 古賀:コガ 江口:エグチ 山根:ヤマネ 平山:ヒラヤマ 西岡:ニシオカ 中原:ナカハラ
岩本:イワモト 田島:タジマ 前川:マエカワ 森山:モリヤマ 松山:マツヤマ 本間:ホンマ 川原:カワハラ 坂口:サカグチ
吉岡:ヨシオカ 杉浦:スギウラ 白石:シライシ 徳永:トクナガ 植田:ウエダ 秋元:アキモト 栗原:クリハラ 吉永:ヨシナガ
"""

# Spellings with 外字-like MJ variants or an ideographic variation selector (IVS, U+E0100), and
# the share of bearers of the base surname who use them. 𠮷 (U+20BB7) lies outside the BMP.
_IVS = "\U000e0100"
SURNAME_VARIANTS: dict[str, tuple[tuple[str, float], ...]] = {
    "高橋": (("髙橋", 0.06),),
    "高田": (("髙田", 0.05),),
    "高木": (("髙木", 0.05),),
    "高野": (("髙野", 0.04),),
    "高山": (("髙山", 0.04),),
    "山崎": (("山﨑", 0.08),),
    "宮崎": (("宮﨑", 0.08),),
    "岡崎": (("岡﨑", 0.06),),
    "川崎": (("川﨑", 0.05),),
    "岩崎": (("岩﨑", 0.05),),
    "尾崎": (("尾﨑", 0.05),),
    "渡辺": (("渡邉", 0.10), ("渡邊", 0.06)),
    "渡部": (("渡邉", 0.03),),
    "斎藤": (("齋藤", 0.10), ("齊藤", 0.05)),
    "浜田": (("濵田", 0.04), ("濱田", 0.06)),
    "辻": (("辻" + _IVS, 0.30),),
    "葛西": (("葛" + _IVS + "西", 0.30),),
    "吉田": (("𠮷田", 0.02),),
    "吉川": (("𠮷川", 0.02),),
}

# 名 by sex and birth period: "kanji:reading".
_MALE = {
    1949: """
清:キヨシ 茂:シゲル 勇:イサム 博:ヒロシ 実:ミノル 進:ススム 正:タダシ 明:アキラ 武:タケシ 修:オサム
弘:ヒロシ 勝:マサル 正雄:マサオ 昭:アキラ 三郎:サブロウ 一郎:イチロウ 次郎:ジロウ 正夫:マサオ 和夫:カズオ
義雄:ヨシオ 秀雄:ヒデオ 幸雄:ユキオ 高志:タカシ 忠:タダシ 稔:ミノル 豊:ユタカ 久雄:ヒサオ 敏夫:トシオ
静夫:シズオ 政雄:マサオ 光男:ミツオ 良一:リョウイチ 健治:ケンジ 正一:ショウイチ 寛:ヒロシ 登:ノボル
昇:ノボル 栄一:エイイチ 信夫:ノブオ 辰雄:タツオ 金次郎:キンジロウ 利夫:トシオ 孝:タカシ 保:タモツ 隆:タカシ
""",
    1974: """
誠:マコト 浩:ヒロシ 隆:タカシ 健一:ケンイチ 学:マナブ 剛:ツヨシ 哲也:テツヤ 浩一:コウイチ 聡:サトシ
修一:シュウイチ 和彦:カズヒコ 秀樹:ヒデキ 英樹:ヒデキ 正樹:マサキ 淳:ジュン 徹:トオル 努:ツトム 裕之:ヒロユキ
宏:ヒロシ 直樹:ナオキ 俊彦:トシヒコ 健二:ケンジ 博之:ヒロユキ 雅之:マサユキ 孝之:タカユキ 信也:シンヤ
康弘:ヤスヒロ 伸一:シンイチ 茂樹:シゲキ 敏:サトシ 克也:カツヤ 達也:タツヤ 昌弘:マサヒロ 和也:カズヤ
勉:ツトム 義明:ヨシアキ 隆之:タカユキ 真一:シンイチ 智:サトシ 浩二:コウジ 誠一:セイイチ 幸一:コウイチ
""",
    1999: """
大輔:ダイスケ 翔太:ショウタ 拓也:タクヤ 健太:ケンタ 達也:タツヤ 和也:カズヤ 翔:ショウ 大樹:ダイキ 直人:ナオト
雄太:ユウタ 裕太:ユウタ 亮:リョウ 健:ケン 慎也:シンヤ 拓海:タクミ 大介:ダイスケ 洋平:ヨウヘイ 陽介:ヨウスケ
健介:ケンスケ 圭介:ケイスケ 智也:トモヤ 貴之:タカユキ 亮太:リョウタ 翼:ツバサ 翔平:ショウヘイ 直樹:ナオキ
竜也:タツヤ 拓哉:タクヤ 将太:ショウタ 雄一:ユウイチ 祐介:ユウスケ 大地:ダイチ 海斗:カイト 駿:シュン 涼:リョウ
優太:ユウタ 隼人:ハヤト 一輝:カズキ 雄大:ユウダイ 悠斗:ユウト 康平:コウヘイ 俊介:シュンスケ 匠:タクミ 誠:マコト
""",
    9999: """
蓮:レン 大翔:ヒロト 陽翔:ハルト 悠真:ユウマ 湊:ミナト 樹:イツキ 悠人:ユウト 陸:リク 颯太:ソウタ 蒼:アオイ
朝陽:アサヒ 陽太:ヒナタ 大和:ヤマト 湊斗:ミナト 律:リツ 碧:アオイ 蒼空:ソラ 結翔:ユイト 颯:ハヤテ 海翔:カイト
翔太:ショウタ 奏太:ソウタ 陽斗:ハルト 新:アラタ 暖:ダン 蒼真:ソウマ 悠:ユウ 健太:ケンタ 拓海:タクミ
大輝:ダイキ 優斗:ユウト 瑛太:エイタ 涼太:リョウタ 琉生:ルイ 大雅:タイガ 晴:ハル 伊吹:イブキ 春翔:ハルト
蒼大:ソウタ 快:カイ 隼:シュン 遥斗:ハルト 旭:アサヒ 凪:ナギ 悠斗:ユウト
""",
}
_FEMALE = {
    1949: """
和子:カズコ 幸子:サチコ 節子:セツコ 文子:フミコ 久子:ヒサコ 洋子:ヨウコ 京子:キョウコ 恵子:ケイコ 美代子:ミヨコ
千代子:チヨコ 静子:シズコ 昭子:アキコ 信子:ノブコ 富子:トミコ 清子:キヨコ キヨ:キヨ ハル:ハル ツル:ツル ヨシ:ヨシ
正子:マサコ 光子:ミツコ 悦子:エツコ 美智子:ミチコ 弘子:ヒロコ 敏子:トシコ 照子:テルコ 芳子:ヨシコ 花子:ハナコ
澄子:スミコ 初子:ハツコ 喜代子:キヨコ 八重子:ヤエコ 春子:ハルコ 君子:キミコ 貞子:サダコ 松子:マツコ 梅子:ウメコ
竹子:タケコ 冨美子:フミコ 房子:フサコ 好子:ヨシコ 愛子:アイコ トミ:トミ ミツ:ミツ 鶴子:ツルコ
""",
    1974: """
恵子:ケイコ 由美子:ユミコ 真由美:マユミ 裕子:ユウコ 久美子:クミコ 明美:アケミ 陽子:ヨウコ 直美:ナオミ 智子:トモコ
美香:ミカ 順子:ジュンコ 典子:ノリコ 浩子:ヒロコ 美穂:ミホ 恵美:エミ 幸恵:ユキエ 由美:ユミ 純子:ジュンコ
京子:キョウコ 理恵:リエ 香織:カオリ 真理子:マリコ 裕美:ヒロミ 美由紀:ミユキ 朋子:トモコ 千秋:チアキ 幸子:サチコ
弘美:ヒロミ 小百合:サユリ 郁子:イクコ 淳子:ジュンコ 和美:カズミ 美紀:ミキ 由香:ユカ みどり:ミドリ 晴美:ハルミ
直子:ナオコ 玲子:レイコ 多恵子:タエコ 正美:マサミ 雅子:マサコ 紀子:ノリコ 敦子:アツコ 容子:ヨウコ
""",
    1999: """
愛:アイ 彩:アヤ 美穂:ミホ 沙織:サオリ 麻衣:マイ 舞:マイ 美咲:ミサキ 葵:アオイ 由佳:ユカ 恵:メグミ 千尋:チヒロ
彩香:アヤカ 理沙:リサ 明日香:アスカ 優子:ユウコ 絵美:エミ 友美:トモミ 瞳:ヒトミ 真美:マミ 香:カオリ 奈々:ナナ
早紀:サキ 夏美:ナツミ 綾:アヤ 遥:ハルカ 美香:ミカ 麻美:アサミ 裕子:ユウコ 愛美:マナミ 萌:モエ 七海:ナナミ
美奈:ミナ 亜希子:アキコ 千春:チハル 沙也加:サヤカ 里奈:リナ 菜摘:ナツミ 彩乃:アヤノ 詩織:シオリ 梓:アズサ
杏奈:アンナ 真由:マユ 未来:ミク 智美:トモミ
""",
    9999: """
陽菜:ヒナ 結愛:ユア さくら:サクラ 凛:リン 結衣:ユイ 美桜:ミオ 芽依:メイ 紬:ツムギ 陽葵:ヒマリ 葵:アオイ
莉子:リコ 杏:アン 結菜:ユイナ 咲良:サクラ 心春:コハル 美月:ミツキ 彩花:アヤカ 花:ハナ 澪:ミオ 凜:リン 楓:カエデ
美羽:ミウ 結月:ユヅキ 琴音:コトネ 愛莉:アイリ 芽生:メイ 詩:ウタ 心愛:ココア 乃愛:ノア 柚希:ユズキ 日葵:ヒマリ
彩葉:イロハ 菜々子:ナナコ 美咲:ミサキ 優奈:ユウナ ひなた:ヒナタ 杏奈:アンナ 莉央:リオ 一花:イチカ 千夏:チナツ
朱莉:アカリ 和奏:ワカナ 碧:アオイ 優花:ユウカ 真央:マオ
""",
}

# Foreign residents' names: (alphabet, katakana, kanji or "") per nationality (ISO 3166-1 numeric;
# 997 朝鮮 is the masters' region code). Alphabet names are written surname first, as Jumin stores them.
Name3 = tuple[str, str, str]


def _n3(text: str) -> tuple[Name3, ...]:
    rows = []
    for item in text.split():
        alpha, kana, *kanji = item.split(":")
        rows.append((alpha.replace("_", " "), kana.replace("_", "\u3000"), kanji[0] if kanji else ""))
    return tuple(rows)


_KOREAN = (
    _n3(
        "KIM:キム:金 LEE:イ:李 PARK:パク:朴 CHOI:チェ:崔 JUNG:チョン:鄭 KANG:カン:姜 CHO:チョ:趙 YOON:ユン:尹 JANG:チャン:張 LIM:イム:林"
    ),
    _n3(
        "MINJUN:ミンジュン:民俊 SUNGHO:ソンホ:成浩 YOUNGSOO:ヨンス:永洙 JUNGHOON:ジョンフン:正勲 HYUNWOO:ヒョヌ:賢宇 SANGWOO:サンウ:相佑 JAEHO:ジェホ:在浩"
    ),
    _n3(
        "YOUNGHEE:ヨンヒ:英姫 MIYOUNG:ミヨン:美英 JIEUN:ジウン:智恩 SUJIN:スジン:秀珍 EUNJUNG:ウンジョン:恩貞 SOOKJA:スクチャ:淑子 HYEJIN:ヘジン:恵珍"
    ),
)
FOREIGN_NAMES: dict[str, tuple[tuple[Name3, ...], tuple[Name3, ...], tuple[Name3, ...]]] = {
    # nationality: (surnames, male given names, female given names)
    "156": (
        _n3(
            "WANG:ワン:王 LI:リ:李 ZHANG:チャン:張 LIU:リュウ:劉 CHEN:チェン:陳 YANG:ヤン:楊 ZHAO:チャオ:趙 HUANG:ホアン:黄 ZHOU:ジョウ:周 WU:ウー:呉 SUN:スン:孫 LIN:リン:林"
        ),
        _n3(
            "WEI:ウェイ:偉 QIANG:チアン:強 LEI:レイ:磊 JUN:ジュン:軍 YONG:ヨン:勇 JIE:ジエ:傑 HAO:ハオ:浩 MING:ミン:明 TAO:タオ:涛"
        ),
        _n3(
            "FANG:ファン:芳 NA:ナー:娜 MIN:ミン:敏 JING:ジン:静 LI:リー:麗 YAN:イェン:艶 JUAN:ジュエン:娟 XIA:シア:霞 TING:ティン:婷"
        ),
    ),
    "410": _KOREAN,
    "997": _KOREAN,
    "158": (
        _n3(
            "CHEN:チェン:陳 LIN:リン:林 HUANG:ホアン:黄 CHANG:チャン:張 LEE:リー:李 WANG:ワン:王 WU:ウー:呉 LIU:リウ:劉 TSAI:ツァイ:蔡 YANG:ヤン:楊"
        ),
        _n3(
            "CHIH-MING:チーミン:志明 CHIEN-HUNG:ジェンホン:建宏 CHUN-CHIEH:ジュンジエ:俊傑 CHIA-HAO:ジアハオ:家豪 TSUNG-HAN:ゾンハン:宗翰"
        ),
        _n3(
            "SHU-FEN:シューフェン:淑芬 MEI-LING:メイリン:美玲 YA-TING:ヤーティン:雅婷 YI-CHUN:イージュン:怡君 HSIN-YI:シンイー:心怡"
        ),
    ),
    "704": (
        _n3(
            "NGUYEN:グエン PHAM:ファム TRAN:チャン LE:レ HOANG:ホアン HUYNH:フイン PHAN:ファン VU:ヴー DANG:ダン BUI:ブイ DO:ドー"
        ),
        _n3(
            "VAN_AN:ヴァン_アン VAN_BINH:ヴァン_ビン DUC_HUNG:ドゥック_フン VAN_MINH:ヴァン_ミン VAN_NAM:ヴァン_ナム MINH_QUANG:ミン_クアン ANH_TUAN:アン_トゥアン TRUNG_HIEU:チュン_ヒエウ"
        ),
        _n3(
            "THI_LAN:ティ_ラン THI_LINH:ティ_リン THI_MAI:ティ_マイ THI_HOA:ティ_ホア THI_THAO:ティ_タオ THI_TRANG:ティ_チャン THI_HUONG:ティ_フオン BAO_NGOC:バオ_ゴック THI_HANH:ティ_ハン"
        ),
    ),
    "608": (
        _n3(
            "SANTOS:サントス REYES:レイエス CRUZ:クルス BAUTISTA:バウティスタ GARCIA:ガルシア MENDOZA:メンドーサ TORRES:トーレス RAMOS:ラモス AQUINO:アキノ VILLANUEVA:ビリャヌエバ"
        ),
        _n3(
            "JOSE:ホセ MARK:マーク JOHN:ジョン MICHAEL:マイケル RONALD:ロナルド JERRY:ジェリー ARIEL:アリエル"
        ),
        _n3(
            "MARIA:マリア ANGELICA:アンジェリカ JOCELYN:ジョセリン MARICEL:マリセル ROWENA:ロウェナ CRISTINA:クリスティナ LORNA:ローナ"
        ),
    ),
    "076": (
        _n3(
            "SILVA:シルバ SANTOS:サントス OLIVEIRA:オリベイラ SOUZA:ソウザ PEREIRA:ペレイラ COSTA:コスタ RODRIGUES:ロドリゲス ALMEIDA:アルメイダ NAKAMURA:ナカムラ HIGA:ヒガ TANAKA:タナカ"
        ),
        _n3(
            "JOAO:ジョアン LUCAS:ルーカス PEDRO:ペドロ RAFAEL:ラファエル GABRIEL:ガブリエル MATHEUS:マテウス CARLOS:カルロス"
        ),
        _n3(
            "ANA:アナ JULIANA:ジュリアナ FERNANDA:フェルナンダ CAMILA:カミラ LETICIA:レチシア BEATRIZ:ベアトリス PATRICIA:パトリシア"
        ),
    ),
    "524": (
        _n3(
            "GURUNG:グルン TAMANG:タマン SHRESTHA:シュレスタ RAI:ライ MAGAR:マガル THAPA:タパ SHARMA:シャルマ ADHIKARI:アディカリ"
        ),
        _n3("RAM:ラム SURESH:スレス BIKASH:ビカス ANIL:アニル PRAKASH:プラカス SANJAY:サンジャイ"),
        _n3("SITA:シタ GITA:ギタ ANJALI:アンジャリ SUNITA:スニタ PUJA:プジャ SARITA:サリタ"),
    ),
    "360": (
        _n3(
            "SAPUTRA:サプトラ WIJAYA:ウィジャヤ PRATAMA:プラタマ SETIAWAN:セティアワン HIDAYAT:ヒダヤット KURNIAWAN:クルニアワン"
        ),
        _n3("ADI:アディ BUDI:ブディ RIZKY:リズキー DIMAS:ディマス FAJAR:ファジャル AGUS:アグス"),
        _n3("SITI:シティ DEWI:デウィ PUTRI:プトリ AYU:アユ RINA:リナ INDAH:インダ"),
    ),
    "840": (
        _n3(
            "SMITH:スミス JOHNSON:ジョンソン WILLIAMS:ウィリアムズ BROWN:ブラウン JONES:ジョーンズ MILLER:ミラー DAVIS:デイビス WILSON:ウィルソン TAYLOR:テイラー"
        ),
        _n3("JAMES:ジェームズ JOHN:ジョン ROBERT:ロバート MICHAEL:マイケル DAVID:デイビッド DANIEL:ダニエル"),
        _n3(
            "MARY:メアリー JENNIFER:ジェニファー EMILY:エミリー SARAH:サラ JESSICA:ジェシカ ELIZABETH:エリザベス"
        ),
    ),
}

# 通称 surnames used by some special permanent residents (with the reading).
TSUSHO_SURNAMES = "金本:カネモト 金田:カネダ 金山:カナヤマ 新井:アライ 国本:クニモト 岩本:イワモト 大山:オオヤマ 松本:マツモト 青木:アオキ 宮本:ミヤモト"


def _pairs(text: str) -> tuple[tuple[str, str], ...]:
    return tuple((k, r) for k, r in (item.split(":") for item in text.split()))


SURNAMES: tuple[tuple[str, str], ...] = _pairs(_SURNAMES)
MALE_GIVEN: dict[int, tuple[tuple[str, str], ...]] = {year: _pairs(text) for year, text in _MALE.items()}
FEMALE_GIVEN: dict[int, tuple[tuple[str, str], ...]] = {year: _pairs(text) for year, text in _FEMALE.items()}
TSUSHO: tuple[tuple[str, str], ...] = _pairs(TSUSHO_SURNAMES)
"""Given-name tables are keyed by the last birth year of their period (≤1949, 1950–74, 1975–99, 2000–)."""
