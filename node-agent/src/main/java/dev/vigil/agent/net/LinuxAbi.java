package dev.vigil.agent.net;

/**
 * Every Linux number and struct layout the data plane uses, in one place.
 *
 * <p>Values are Linux x86_64/aarch64 (glibc 2.36, kernel UAPI headers), printed on the build machine with a small C
 * program ({@code printf("%ld", X)} and {@code sizeof}/{@code offsetof}) from {@code <sys/socket.h>},
 * {@code <netinet/in.h>}, {@code <linux/netlink.h>}, {@code <linux/rtnetlink.h>}, {@code <linux/if_addr.h>},
 * {@code <linux/if_link.h>}, {@code <linux/if_packet.h>}, {@code <linux/if_ether.h>}, {@code <sched.h>},
 * {@code <errno.h>}; the IPv4 raw-socket ones are also in /work/shared/research/stack.md §4. They are ABI: the kernel
 * never renumbers them.
 */
final class LinuxAbi {
    private LinuxAbi() {}

    // <sys/socket.h>, <bits/socket.h>
    static final int AF_INET = 2;
    static final int AF_INET6 = 10;
    static final int AF_NETLINK = 16;
    static final int AF_PACKET = 17;
    static final int SOCK_RAW = 3;
    static final int SOCK_CLOEXEC = 0x80000;
    static final int SOL_SOCKET = 1;
    static final int SO_RCVBUF = 8;
    static final int SO_RCVTIMEO = 20;
    static final int SO_BINDTODEVICE = 25;
    static final int SO_RCVBUFFORCE = 33; // beyond net.core.rmem_max; needs CAP_NET_ADMIN
    static final int SO_TIMESTAMPNS = 35; // SO_TIMESTAMPNS_OLD on x86_64/arm64: a struct timespec of 64-bit fields
    static final int SCM_TIMESTAMPNS = SO_TIMESTAMPNS; // its control message: {long tv_sec, long tv_nsec}, CLOCK_REALTIME
    static final int SIZEOF_TIMESPEC = 16;

    // <netinet/in.h>, <bits/in.h>: IPv4 level
    static final int IPPROTO_IP = 0;
    static final int IPPROTO_ICMPV6 = 58;
    static final int IPPROTO_VRRP = 112; // IANA protocol number, RFC 5798 §5.1.1.4
    static final int IPPROTO_RAW = 255; // send-only raw socket with IP_HDRINCL implied (raw(7))
    static final int IP_TOS = 1;
    static final int IP_TTL = 2;
    static final int IP_HDRINCL = 3;
    static final int IP_PKTINFO = 8;
    static final int IP_RECVTTL = 12;
    static final int IP_MULTICAST_IF = 32;
    static final int IP_MULTICAST_TTL = 33;
    static final int IP_MULTICAST_LOOP = 34;
    static final int IP_ADD_MEMBERSHIP = 35;
    static final int IP_MULTICAST_ALL = 49; // not in jnr-constants

    // <netinet/in.h>, <bits/in.h>: IPv6 level
    static final int IPPROTO_IPV6 = 41;
    static final int IPV6_CHECKSUM = 7;
    static final int IPV6_UNICAST_HOPS = 16;
    static final int IPV6_MULTICAST_IF = 17;
    static final int IPV6_MULTICAST_HOPS = 18;
    static final int IPV6_MULTICAST_LOOP = 19;
    static final int IPV6_JOIN_GROUP = 20;
    static final int IPV6_MULTICAST_ALL = 29;
    static final int IPV6_RECVPKTINFO = 49;
    static final int IPV6_PKTINFO = 50;
    static final int IPV6_RECVHOPLIMIT = 51;
    static final int IPV6_HOPLIMIT = 52;

    // <sys/socket.h> recv flags, <sched.h>
    static final int MSG_DONTWAIT = 0x40;
    static final int MSG_TRUNC = 0x20;
    static final int CLONE_NEWNET = 0x40000000;
    static final int SHUT_RD = 0;

    // <asm-generic/errno*.h>
    static final int EPERM = 1;
    static final int ESRCH = 3;
    static final int EINTR = 4;
    static final int EAGAIN = 11;
    static final int ENOMEM = 12;
    static final int EEXIST = 17;
    static final int ENODEV = 19;
    static final int EINVAL = 22;
    static final int EBADF = 9;
    static final int ENOBUFS = 105;
    static final int EADDRNOTAVAIL = 99;

    // Struct layouts (LP64). Offsets are bytes; addresses inside them are network order, everything else host order.
    static final int SIZEOF_SOCKADDR_IN = 16; // {u16 family, be16 port @2, in_addr @4, zero[8]}
    static final int SIZEOF_SOCKADDR_IN6 = 28; // {u16 family, be16 port @2, u32 flowinfo @4, in6_addr @8, u32 scope_id @24}
    static final int SIZEOF_IP_MREQN = 12; // {in_addr multiaddr @0, in_addr address @4, int ifindex @8}
    static final int SIZEOF_IPV6_MREQ = 20; // {in6_addr @0, int ifindex @16}
    static final int SIZEOF_IN_PKTINFO = 12; // {int ifindex @0, in_addr spec_dst @4, in_addr addr @8}
    static final int SIZEOF_IN6_PKTINFO = 20; // {in6_addr addr @0, int ifindex @16}
    static final int SIZEOF_TIMEVAL = 16; // {long sec, long usec}
    static final int SIZEOF_IOVEC = 16; // {void* base @0, size_t len @8}
    static final int SIZEOF_MSGHDR = 56; // name @0, namelen(u32) @8, iov @16, iovlen @24, control @32, controllen @40, flags @48
    static final int MSGHDR_NAME = 0, MSGHDR_NAMELEN = 8, MSGHDR_IOV = 16, MSGHDR_IOVLEN = 24,
            MSGHDR_CONTROL = 32, MSGHDR_CONTROLLEN = 40, MSGHDR_FLAGS = 48;
    static final int SIZEOF_CMSGHDR = 16; // {size_t len @0, int level @8, int type @12}, data at +16, next at (len+7)&~7
    static final int SIZEOF_SOCKADDR_LL = 20; // {u16 family @0, be16 protocol @2, int ifindex @4, u16 hatype @8, u8 pkttype @10, u8 halen @11, u8 addr[8] @12}
    static final int SIZEOF_SOCKADDR_NL = 12; // {u16 family @0, u16 pad, u32 pid @4, u32 groups @8}

    // <linux/netlink.h>
    static final int NETLINK_ROUTE = 0;
    static final int SOL_NETLINK = 270;
    static final int NETLINK_EXT_ACK = 11;
    static final int NLMSG_HDRLEN = 16; // {u32 len, u16 type @4, u16 flags @6, u32 seq @8, u32 pid @12}
    static final int NLMSG_NOOP = 1;
    static final int NLMSG_ERROR = 2; // payload {int error; nlmsghdr original}
    static final int NLMSG_DONE = 3;
    static final int NLMSG_OVERRUN = 4;
    static final int NLM_F_REQUEST = 0x1;
    static final int NLM_F_MULTI = 0x2;
    static final int NLM_F_ACK = 0x4;
    static final int NLM_F_DUMP = 0x300;
    static final int NLM_F_EXCL = 0x200; // for new requests: fail if it exists
    static final int NLM_F_CREATE = 0x400;
    static final int NLM_F_CAPPED = 0x100; // in an ACK: the request is not echoed in full
    static final int NLM_F_ACK_TLVS = 0x200; // in an ACK: extended-ACK attributes follow
    static final int NLMSGERR_ATTR_MSG = 1; // extended ack: NUL-terminated error text

    // <linux/rtnetlink.h>
    static final int RTMGRP_LINK = 0x1;
    static final int RTMGRP_IPV4_IFADDR = 0x10;
    static final int RTMGRP_IPV6_IFADDR = 0x100;
    static final int RTM_NEWLINK = 16;
    static final int RTM_DELLINK = 17;
    static final int RTM_GETLINK = 18;
    static final int RTM_NEWADDR = 20;
    static final int RTM_DELADDR = 21;
    static final int RTM_GETADDR = 22;
    static final int RT_SCOPE_UNIVERSE = 0, RT_SCOPE_SITE = 200, RT_SCOPE_LINK = 253, RT_SCOPE_HOST = 254,
            RT_SCOPE_NOWHERE = 255;

    // <linux/if_addr.h>: ifaddrmsg {u8 family, u8 prefixlen, u8 flags, u8 scope, u32 index @4}, 8 bytes
    static final int SIZEOF_IFADDRMSG = 8;
    static final int IFA_ADDRESS = 1, IFA_LOCAL = 2, IFA_LABEL = 3, IFA_BROADCAST = 4, IFA_CACHEINFO = 6,
            IFA_FLAGS = 8;
    static final int IFA_F_SECONDARY = 0x01;
    static final int IFA_F_NODAD = 0x02;
    static final int IFA_F_HOMEADDRESS = 0x10;
    static final int IFA_F_MANAGETEMPADDR = 0x100;
    static final int IFA_F_NOPREFIXROUTE = 0x200;
    static final int SIZEOF_IFA_CACHEINFO = 16; // {u32 preferred, u32 valid, u32 cstamp, u32 tstamp}
    static final int INFINITY_LIFE_TIME = 0xFFFFFFFF;

    // <linux/rtnetlink.h> ifinfomsg {u8 family, u8 pad, u16 type @2, int index @4, u32 flags @8, u32 change @12}, 16 bytes
    static final int SIZEOF_IFINFOMSG = 16;
    // <linux/if_link.h>
    static final int IFLA_ADDRESS = 1, IFLA_IFNAME = 3, IFLA_OPERSTATE = 16;
    // <net/if.h>
    static final int IFF_UP = 0x1, IFF_LOOPBACK = 0x8, IFF_RUNNING = 0x40, IFF_NOARP = 0x80, IFF_LOWER_UP = 0x10000;
    static final int IFNAMSIZ = 16;

    // <linux/if_ether.h>, <linux/if_arp.h>
    static final int ETH_P_IP = 0x0800;
    static final int ETH_P_ARP = 0x0806;
    static final int ETH_P_IPV6 = 0x86DD;
    static final int ARPHRD_ETHER = 1;
}
