package dev.vigil.agent.net;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.vigil.agent.net.LinuxAbi.*;
import static org.assertj.core.api.Assertions.assertThat;

@Timeout(30)
class RtnetlinkCodecTest {

    private static Map<Integer, byte[]> attributes(NetlinkMessage m, int fixed) {
        Map<Integer, byte[]> out = new HashMap<>();
        Attributes.forEach(m.payload(), fixed, out::put);
        return out;
    }

    private static NetlinkMessage only(byte[] message) {
        List<NetlinkMessage> all = NetlinkMessage.split(message, message.length);
        assertThat(all).hasSize(1);
        return all.get(0);
    }

    @Test
    void ipv4AddRequestCarriesPrefixScopeIndexAndOptions() throws Exception {
        VirtualAddress vip = VirtualAddress.of(InetAddress.getByName("192.0.2.100"), 24, "eth0")
                .withBroadcast((Inet4Address) InetAddress.getByName("192.0.2.255")).withLabel("eth0:1")
                .withScope(AddressScope.SITE);
        NetlinkMessage m = only(RtnetlinkCodec.addressRequest(RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK, 7, vip, 3));
        assertThat(m.type()).isEqualTo(RTM_NEWADDR);
        assertThat(m.flags()).isEqualTo(NLM_F_REQUEST | NLM_F_ACK);
        assertThat(m.sequence()).isEqualTo(7);
        ByteBuffer ifa = m.buffer();
        assertThat(ifa.get(0)).isEqualTo((byte) AF_INET);
        assertThat(ifa.get(1)).isEqualTo((byte) 24);
        assertThat(ifa.get(3) & 0xFF).isEqualTo(RT_SCOPE_SITE);
        assertThat(ifa.getInt(4)).isEqualTo(3);
        Map<Integer, byte[]> attrs = attributes(m, SIZEOF_IFADDRMSG);
        assertThat(attrs.get(IFA_LOCAL)).containsExactly(192, 0, 2, 100);
        assertThat(attrs.get(IFA_ADDRESS)).containsExactly(192, 0, 2, 100);
        assertThat(attrs.get(IFA_BROADCAST)).containsExactly(192, 0, 2, 255);
        assertThat(Attributes.string(attrs.get(IFA_LABEL))).isEqualTo("eth0:1");
        assertThat(attrs).doesNotContainKeys(IFA_FLAGS, IFA_CACHEINFO);

        // The same bytes read as a notification give the address back.
        InterfaceAddress decoded = RtnetlinkCodec.decodeAddress(m).orElseThrow();
        assertThat(decoded.address()).isEqualTo(InetAddress.getByName("192.0.2.100"));
        assertThat(decoded.prefixLength()).isEqualTo(24);
        assertThat(decoded.scope()).isEqualTo(AddressScope.SITE);
        assertThat(decoded.label()).contains("eth0:1");
        assertThat(decoded.interfaceIndex()).isEqualTo(3);
    }

    @Test
    void ipv6AddRequestIsNodadWithPreferredLifetimeZeroAndDeleteCarriesNoOptions() throws Exception {
        VirtualAddress vip = VirtualAddress.of(InetAddress.getByName("2001:db8::1"), 64, "eth0");
        NetlinkMessage add = only(RtnetlinkCodec.addressRequest(RTM_NEWADDR, NLM_F_REQUEST, 1, vip, 2));
        assertThat(add.buffer().get(2) & 0xFF).isEqualTo(IFA_F_NODAD);
        Map<Integer, byte[]> attrs = attributes(add, SIZEOF_IFADDRMSG);
        assertThat(ByteBuffer.wrap(attrs.get(IFA_FLAGS)).order(ByteOrder.nativeOrder()).getInt()).isEqualTo(IFA_F_NODAD);
        ByteBuffer cache = ByteBuffer.wrap(attrs.get(IFA_CACHEINFO)).order(ByteOrder.nativeOrder());
        assertThat(cache.getInt(0)).as("preferred").isZero();
        assertThat(cache.getInt(4)).as("valid").isEqualTo(INFINITY_LIFE_TIME);
        assertThat(RtnetlinkCodec.decodeAddress(add).orElseThrow().noDad()).isTrue();

        NetlinkMessage del = only(RtnetlinkCodec.addressRequest(RTM_DELADDR, NLM_F_REQUEST, 2, vip, 2));
        assertThat(attributes(del, SIZEOF_IFADDRMSG)).containsOnlyKeys(IFA_LOCAL, IFA_ADDRESS);
    }

    @Test
    void linkNotificationDecodesNameMacFlagsAndOperState() {
        ByteBuffer ifi = ByteBuffer.allocate(SIZEOF_IFINFOMSG).order(ByteOrder.nativeOrder());
        ifi.putInt(4, 9).putInt(8, IFF_UP | IFF_RUNNING | IFF_LOWER_UP);
        byte[] message = new Attributes.Builder(RTM_NEWLINK, 0, 0, ifi.array())
                .addString(IFLA_IFNAME, "eth1")
                .add(IFLA_ADDRESS, new byte[] {2, 0, 0, 0, 0, 9})
                .add(IFLA_OPERSTATE, new byte[] {6})
                .build();
        Link link = RtnetlinkCodec.decodeLink(only(message)).orElseThrow();
        assertThat(link.index()).isEqualTo(9);
        assertThat(link.name()).isEqualTo("eth1");
        assertThat(link.macAddress()).hasToString("02:00:00:00:00:09");
        assertThat(link.operState()).isEqualTo(Link.OperState.UP);
        assertThat(link.isUsable()).isTrue();
        assertThat(link.noArp()).isFalse();
    }

    @Test
    void aDatagramSplitsIntoItsMessagesAndATruncatedTailIsLeftOut() {
        byte[] one = RtnetlinkCodec.dumpRequest(RTM_GETLINK, 1);
        byte[] two = RtnetlinkCodec.dumpRequest(RTM_GETADDR, 2);
        byte[] datagram = new byte[one.length + two.length + 10];
        System.arraycopy(one, 0, datagram, 0, one.length);
        System.arraycopy(two, 0, datagram, one.length, two.length);
        ByteBuffer.wrap(datagram).order(ByteOrder.nativeOrder()).putInt(one.length + two.length, 64); // claims more than is there
        List<NetlinkMessage> messages = NetlinkMessage.split(datagram, datagram.length);
        assertThat(messages).extracting(NetlinkMessage::type).containsExactly(RTM_GETLINK, RTM_GETADDR);
        assertThat(messages).extracting(NetlinkMessage::flags).containsOnly(NLM_F_REQUEST | NLM_F_DUMP);
    }

    @Test
    void errorMessagesGiveTheErrnoAndTheKernelsText() {
        ByteBuffer payload = ByteBuffer.allocate(4 + NLMSG_HDRLEN).order(ByteOrder.nativeOrder());
        payload.putInt(0, -EEXIST);
        byte[] message = new Attributes.Builder(NLMSG_ERROR, 0x100 | 0x200, 5, payload.array())
                .addString(NLMSGERR_ATTR_MSG, "Address already assigned")
                .build();
        NetlinkMessage m = only(message);
        assertThat(m.error()).isEqualTo(-EEXIST);
        assertThat(m.extendedAckText()).isEqualTo("Address already assigned");
    }

    @Property(tries = 500)
    void decodingArbitraryBytesNeverThrows(@ForAll @Size(max = 200) byte[] bytes) {
        for (NetlinkMessage m : NetlinkMessage.split(bytes, bytes.length)) {
            RtnetlinkCodec.decodeAddress(m);
            RtnetlinkCodec.decodeLink(m);
            m.extendedAckText();
        }
        NetlinkMessage raw = new NetlinkMessage(RTM_NEWADDR, 0, 0, 0, bytes);
        RtnetlinkCodec.decodeAddress(raw);
        RtnetlinkCodec.decodeLink(raw);
    }
}
