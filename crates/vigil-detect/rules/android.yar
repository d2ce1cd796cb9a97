// Android malware: root exploits shipped inside apps, droppers that run them, premium-SMS
// trojans, remote-access trojans and penetration-testing payloads disguised as apps. The rules
// read one member of a package at a time (a classes*.dex, a native library, an asset), so each
// keys on what that member alone holds: a DEX file's string pool keeps class descriptors and
// string constants in plain MUTF-8, and exploit binaries print their own banners. Written for
// Vigil.

rule Android_RootExploit_Banner
{
    meta:
        description = "Android local root exploit binary (RageAgainstTheCage, Exploid or ZergRush), recognised by the banner it prints; apps such as DroidDream carried them in their assets to take over the device"
        severity = "critical"
        category = "hack-tool"
        reference = "https://en.wikipedia.org/wiki/DroidDream"

    strings:
        // RageAgainstTheCage (adb setuid exhaustion, 2010).
        $ratc1 = "CVE-2010-EASY" ascii
        $ratc2 = "743C" ascii
        // Exploid (udev netlink / hotplug, CVE-2009-1185).
        $exploid1 = "Android Exploid Crew" ascii nocase
        $exploid2 = "/proc/sys/kernel/hotplug" ascii
        // ZergRush (vold, CVE-2011-3874).
        $zerg1 = "Zerg rush" ascii nocase
        $zerg2 = "Revolutionary" ascii
        $zerg3 = "vold" ascii

    condition:
        ($ratc1 and $ratc2) or ($exploid1 and $exploid2) or ($zerg1 and $zerg2 and $zerg3)
}

rule Android_Dropper_RootExploits
{
    meta:
        description = "Android code that names two or more well-known root exploits (rageagainstthecage, exploid, psneuter, zergRush, GingerBreak) and makes a setuid root shell or remounts /system: the DroidDream pattern of dropping exploits from the app's assets and running them"
        severity = "critical"
        category = "virus"
        reference = "https://blog.lookout.com/droiddream"

    strings:
        $x1 = "rageagainstthecage" ascii nocase
        $x2 = "exploid" ascii fullword
        $x3 = "psneuter" ascii nocase
        $x4 = "zergRush" ascii nocase
        $x5 = "GingerBreak" ascii nocase
        $root1 = "chmod 4755" ascii
        $root2 = "chmod 6755" ascii
        $root3 = "mount -o remount,rw" ascii
        $root4 = "mount -o rw,remount" ascii

    condition:
        2 of ($x*) and any of ($root*)
}

rule Android_SmsTrojan_HiddenIcon
{
    meta:
        description = "Android code that sends text messages, swallows incoming ones (abortBroadcast on SMS_RECEIVED, hiding the premium service's confirmations from the user) and hides its own launcher icon: the behaviour of premium-SMS fraud trojans such as FakeInst"
        severity = "high"
        category = "virus"
        reference = "https://www.f-secure.com/v-descs/trojan_android_fakeinst.shtml"

    strings:
        $send = "sendTextMessage" ascii fullword
        $sms_manager = "Landroid/telephony/SmsManager;" ascii
        $received = "android.provider.Telephony.SMS_RECEIVED" ascii
        $abort = "abortBroadcast" ascii fullword
        $hide = "setComponentEnabledSetting" ascii fullword

    condition:
        uint32(0) == 0x0a786564 and all of them
}

rule Android_Trojan_FakePlayer
{
    meta:
        description = "Android.FakePlayer, the first premium-SMS trojan (2010): a fake media player that texts 798657 to the Russian short numbers 3353 and 3354"
        severity = "critical"
        category = "virus"
        reference = "https://www.f-secure.com/v-descs/trojan_android_fakeplayer_a.shtml"

    strings:
        $text = "798657" ascii fullword
        $n1 = "3353" ascii fullword
        $n2 = "3354" ascii fullword
        $send = "sendTextMessage" ascii fullword

    condition:
        uint32(0) == 0x0a786564 and $text and $send and any of ($n*)
}

rule Android_Metasploit_Stager
{
    meta:
        description = "Metasploit's Android payload (msfvenom android/meterpreter, android/shell): the com.metasploit.stage classes that connect back to the tester's handler and load the Meterpreter DEX"
        severity = "critical"
        category = "hack-tool"
        reference = "https://docs.metasploit.com/docs/using-metasploit/other/how-to-use-a-reverse-shell-in-metasploit.html"

    strings:
        $payload = "Lcom/metasploit/stage/Payload;" ascii
        $service = "Lcom/metasploit/stage/MainService;" ascii
        $receiver = "Lcom/metasploit/stage/MainBroadcastReceiver;" ascii
        $config = "Lcom/metasploit/stage/ConfigParser;" ascii

    condition:
        uint32(0) == 0x0a786564 and $payload and any of ($service, $receiver, $config)
}

rule Android_RAT_AhMyth
{
    meta:
        description = "AhMyth Android remote-access trojan client (package ahmyth.mine.king.ahmyth): reads SMS, contacts, call logs and files, records the microphone and tracks location for its controller"
        severity = "critical"
        category = "virus"
        reference = "https://github.com/AhMyth/AhMyth-Android-RAT"

    strings:
        $pkg = "Lahmyth/mine/king/ahmyth/" ascii
        $c1 = "ConnectionManager" ascii
        $c2 = "MainService" ascii
        $c3 = "x0000" ascii

    condition:
        uint32(0) == 0x0a786564 and $pkg and 2 of ($c*)
}
